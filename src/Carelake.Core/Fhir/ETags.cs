using System.Globalization;

namespace Carelake.Core.Fhir;

public static class ETags
{
    public static string For(long version) => $"W/\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Reads a version from <c>W/"3"</c>, <c>"3"</c> or <c>3</c>; null when absent.</summary>
    public static long? ParseVersion(string? etag)
    {
        if (string.IsNullOrWhiteSpace(etag))
        {
            return null;
        }

        var text = etag.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('"');
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw FhirException.BadRequest($"'{etag}' is not a version ETag (expected W/\"n\").");
    }

    /// <summary>
    /// A conditional read (HTTP If-None-Match / If-Modified-Since, or a Bundle entry's ifNoneMatch / ifModifiedSince):
    /// true when the current version is the one the client has (an ETag in the list, or *) or is not newer than the
    /// given time, compared to the second as HTTP dates are. If-None-Match wins when both are given.
    /// </summary>
    public static bool NotModified(IEnumerable<string?> ifNoneMatch, DateTimeOffset? ifModifiedSince, long version, DateTimeOffset lastUpdated)
    {
        var tags = ifNoneMatch.Where(t => !string.IsNullOrWhiteSpace(t)).SelectMany(t => t!.Split(',')).Select(t => t.Trim()).ToList();
        if (tags.Count > 0)
        {
            return tags.Any(tag => tag == "*" || TryParseVersion(tag) == version);
        }

        return ifModifiedSince is { } since && lastUpdated.ToUnixTimeSeconds() <= since.ToUnixTimeSeconds();
    }

    private static long? TryParseVersion(string tag)
    {
        try
        {
            return ParseVersion(tag);
        }
        catch (FhirException)
        {
            return null;
        }
    }
}
