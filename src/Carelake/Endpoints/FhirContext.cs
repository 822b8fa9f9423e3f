using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Endpoints;

/// <summary>Per-request helpers shared by the FHIR endpoint groups.</summary>
internal static class FhirContext
{
    public static string BaseUrl(HttpContext context, string basePath) =>
        $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{basePath}";

    public static void CheckType(string type)
    {
        if (!ResourceTypes.IsKnown(type))
        {
            throw new FhirException(404, OperationOutcome.IssueType.NotSupported, $"'{type}' is not a FHIR R4 resource type.");
        }
    }

    public static void CheckId(string id)
    {
        if (!ResourceIds.IsValid(id))
        {
            throw FhirException.BadRequest($"'{id}' is not a valid FHIR id (1-64 of A-Z a-z 0-9 - .).");
        }
    }

    public static long ParseVersion(string versionId) =>
        long.TryParse(versionId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : throw FhirException.NotFound($"'{versionId}' is not a version of this resource.");

    public static long? IfMatch(HttpRequest request) =>
        request.Headers.IfMatch.Count > 0 ? ETags.ParseVersion(request.Headers.IfMatch[0]) : null;

    public static IReadOnlyList<KeyValuePair<string, string>> QueryParameters(HttpRequest request)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in request.Query)
        {
            foreach (var value in values)
            {
                list.Add(new(key, value ?? string.Empty));
            }
        }

        return list;
    }

    /// <summary>Prefer: handling=strict turns unknown search parameters into errors (R4 3.1.1.5.3).</summary>
    public static bool StrictHandling(HttpRequest request) =>
        request.Headers.TryGetValue("Prefer", out var prefer) && prefer.Any(p => p is not null && p.Contains("handling=strict", StringComparison.OrdinalIgnoreCase));

    public static string? PreferReturn(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("Prefer", out var prefer))
        {
            return null;
        }

        foreach (var value in prefer)
        {
            foreach (var part in (value ?? string.Empty).Split([',', ';'], StringSplitOptions.TrimEntries))
            {
                if (part.StartsWith("return=", StringComparison.OrdinalIgnoreCase))
                {
                    return part[7..].ToLowerInvariant();
                }
            }
        }

        return null;
    }
}
