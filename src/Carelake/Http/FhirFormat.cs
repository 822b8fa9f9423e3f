using Carelake.Core.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Net.Http.Headers;

namespace Carelake.Http;

public enum FhirFormat
{
    Json,
    Xml,
}

/// <summary>Content negotiation for FHIR (R4 3.1.0.1.6): <c>_format</c> wins over Accept; JSON is the default.</summary>
public static class FhirFormats
{
    public const string JsonContentType = "application/fhir+json; charset=utf-8";
    public const string XmlContentType = "application/fhir+xml; charset=utf-8";

    public static FhirFormat ForResponse(HttpRequest request)
    {
        if (request.Query.TryGetValue("_format", out var format) && format.Count > 0 && !string.IsNullOrEmpty(format[0]))
        {
            return FromMediaType(format[0]!) ?? throw new FhirException(406, OperationOutcome.IssueType.NotSupported,
                $"_format '{format[0]}' is not supported; use json or xml.");
        }

        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return FhirFormat.Json;
        }

        foreach (var media in accept.OrderByDescending(a => a.Quality ?? 1))
        {
            if (media.Quality == 0)
            {
                continue;
            }

            if (media.MediaType.Value is "*/*" or "application/*")
            {
                return FhirFormat.Json;
            }

            if (FromMediaType(media.MediaType.Value ?? string.Empty) is { } found)
            {
                return found;
            }
        }

        throw new FhirException(406, OperationOutcome.IssueType.NotSupported,
            "None of the Accept media types is supported; use application/fhir+json or application/fhir+xml.");
    }

    /// <summary>The format of a request body; 415 for anything that is not FHIR JSON or XML.</summary>
    public static FhirFormat ForRequest(HttpRequest request)
    {
        if (string.IsNullOrEmpty(request.ContentType))
        {
            // Clients such as curl often omit Content-Type; JSON is the only sensible reading.
            return FhirFormat.Json;
        }

        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && FromMediaType(media.MediaType.Value ?? string.Empty) is { } format)
        {
            return format;
        }

        throw new FhirException(415, OperationOutcome.IssueType.NotSupported,
            $"Content-Type '{request.ContentType}' is not supported; send application/fhir+json or application/fhir+xml.");
    }

    public static bool IsPretty(HttpRequest request) =>
        request.Query.TryGetValue("_pretty", out var pretty) && string.Equals(pretty, "true", StringComparison.OrdinalIgnoreCase);

    private static FhirFormat? FromMediaType(string value) => value.Trim().ToLowerInvariant() switch
    {
        "json" or "application/json" or "application/fhir+json" or "application/json+fhir" or "text/json" => FhirFormat.Json,
        "xml" or "application/xml" or "application/fhir+xml" or "application/xml+fhir" or "text/xml" => FhirFormat.Xml,
        _ => null,
    };
}
