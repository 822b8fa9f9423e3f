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
}
