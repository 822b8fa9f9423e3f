using System.Globalization;
using System.Text.Json;
using Carelake.Core.Audit;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Http;

/// <summary>
/// Writes FHIR responses. Stored resources are written as their stored UTF-8 bytes when JSON without _pretty is asked
/// for (the common case): no parse and no serialise on the read path.
/// </summary>
public static class FhirResponses
{
    private static readonly JsonWriterOptions PrettyWriter = new() { Indented = true };

    public static async Task WriteVersionAsync(HttpContext context, ResourceVersion version, int status, CancellationToken cancellationToken)
    {
        AuditScope.Current?.NoteReturned([version]);
        var response = context.Response;
        response.StatusCode = status;
        SetVersionHeaders(response, version);
        if (version.Json is null)
        {
            return;
        }

        var format = FhirFormats.ForResponse(context.Request);
        var pretty = FhirFormats.IsPretty(context.Request);
        var filter = context.Request.Query.ContainsKey("_summary") || context.Request.Query.ContainsKey("_elements")
            ? ResourceFilter.From(context.Request.Query.Select(q => new KeyValuePair<string, string>(q.Key, q.Value.ToString())))
            : null;
        if (filter is not null)
        {
            var subset = format == FhirFormat.Json ? filter.ApplyJson(version.Json, pretty) : filter.ApplyXml(version.Json, pretty);
            response.ContentType = format == FhirFormat.Json ? FhirFormats.JsonContentType : FhirFormats.XmlContentType;
            response.ContentLength = subset.Length;
            await response.Body.WriteAsync(subset, cancellationToken);
            return;
        }

        if (format == FhirFormat.Json)
        {
            response.ContentType = FhirFormats.JsonContentType;
            var bytes = pretty ? Reindent(version.Json) : version.Json;
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, cancellationToken);
            return;
        }

        await WriteXmlAsync(response, FhirSerialization.ParseStored(version.Json), pretty, cancellationToken);
    }

    public static void SetVersionHeaders(HttpResponse response, ResourceVersion version)
    {
        response.Headers.ETag = ETags.For(version.Version);
        response.Headers.LastModified = version.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
    }

    public static async Task WritePocoAsync(HttpContext context, Base element, int status, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = status;
        FhirFormat format;
        try
        {
            format = FhirFormats.ForResponse(context.Request);
        }
        catch (FhirException)
        {
            // Errors must still be readable when the client's Accept is what failed.
            format = FhirFormat.Json;
        }

        var pretty = FhirFormats.IsPretty(context.Request);
        if (format == FhirFormat.Json)
        {
            response.ContentType = FhirFormats.JsonContentType;
            var bytes = FhirSerialization.ToJsonBytes(element, pretty);
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, cancellationToken);
            return;
        }

        await WriteXmlAsync(response, element, pretty, cancellationToken);
    }

    public static async Task WriteBundleAsync(HttpContext context, SearchResultBundle bundle, string baseUrl, CancellationToken cancellationToken)
    {
        // The audit record names the patients whose data is returned (docs/audit.md).
        AuditScope.Current?.NoteReturned(bundle.Entries.Concat(bundle.Included));
        var format = FhirFormats.ForResponse(context.Request);
        if (format == FhirFormat.Xml)
        {
            await WritePocoAsync(context, bundle.ToPoco(baseUrl), 200, cancellationToken);
            return;
        }

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = FhirFormats.JsonContentType;
        var pretty = FhirFormats.IsPretty(context.Request);
        await using var writer = new Utf8JsonWriter(response.BodyWriter, pretty ? PrettyWriter : default);
        WriteBundleJson(writer, bundle, baseUrl, pretty);
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>The Bundle envelope written by hand around stored resource bytes (spliced in raw).</summary>
    private static void WriteBundleJson(Utf8JsonWriter writer, SearchResultBundle bundle, string baseUrl, bool pretty)
    {
        writer.WriteStartObject();
        writer.WriteString("resourceType", "Bundle");
        writer.WriteString("id", Guid.NewGuid().ToString("N"));
        writer.WriteStartObject("meta");
        writer.WriteString("lastUpdated", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        writer.WriteEndObject();
        writer.WriteString("type", bundle.Type == Bundle.BundleType.Searchset ? "searchset" : "history");
        if (bundle.Total is { } total)
        {
            writer.WriteNumber("total", total);
        }

        writer.WriteStartArray("link");
        foreach (var (relation, url) in bundle.Links)
        {
            writer.WriteStartObject();
            writer.WriteString("relation", relation);
            writer.WriteString("url", url);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (bundle.Entries.Count == 0 && bundle.Included.Count == 0 && bundle.Outcome is null)
        {
            // FHIR JSON has no empty arrays: an empty page simply has no "entry".
            writer.WriteEndObject();
            return;
        }

        writer.WriteStartArray("entry");
        foreach (var (entry, included) in bundle.Entries.Select(e => (e, false)).Concat(bundle.Included.Select(e => (e, true))))
        {
            writer.WriteStartObject();
            writer.WriteString("fullUrl", $"{baseUrl}/{entry.Path}");
            if (entry.Json is not null && bundle.Filter is { } filter)
            {
                writer.WritePropertyName("resource");
                writer.WriteRawValue(filter.ApplyJson(entry.Json, false), skipInputValidation: true);
            }
            else if (entry.Json is not null)
            {
                writer.WritePropertyName("resource");
                if (pretty)
                {
                    using var document = JsonDocument.Parse(entry.Json);
                    document.WriteTo(writer);
                }
                else
                {
                    writer.WriteRawValue(entry.Json, skipInputValidation: true);
                }
            }

            if (bundle.Type == Bundle.BundleType.Searchset)
            {
                writer.WriteStartObject("search");
                writer.WriteString("mode", included ? "include" : "match");
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteStartObject("request");
                writer.WriteString("method", entry.Method);
                writer.WriteString("url", entry.Method == "POST" ? entry.Type : $"{entry.Type}/{entry.Id}");
                writer.WriteEndObject();
                writer.WriteStartObject("response");
                writer.WriteString("status", entry.Method switch { "POST" => "201 Created", "DELETE" => "204 No Content", _ => "200 OK" });
                writer.WriteString("etag", ETags.For(entry.Version));
                writer.WriteString("lastModified", entry.LastUpdated.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        if (bundle.Outcome is not null)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("resource");
            writer.WriteRawValue(FhirSerialization.ToJsonBytes(bundle.Outcome), skipInputValidation: true);
            writer.WriteStartObject("search");
            writer.WriteString("mode", "outcome");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static async Task WriteXmlAsync(HttpResponse response, Base element, bool pretty, CancellationToken cancellationToken)
    {
        response.ContentType = FhirFormats.XmlContentType;
        var bytes = FhirSerialization.ToXmlBytes(element, pretty);
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, cancellationToken);
    }

    private static byte[] Reindent(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream(json.Length * 2);
        using (var writer = new Utf8JsonWriter(stream, PrettyWriter))
        {
            document.WriteTo(writer);
        }

        return stream.ToArray();
    }
}
