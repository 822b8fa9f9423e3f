using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Http;

/// <summary>Reads a request body into a FHIR resource, with the size limit enforced while reading.</summary>
public static class FhirBody
{
    public static async Task<Resource> ReadResourceAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var format = FhirFormats.ForRequest(request);
        var body = await ReadAllAsync(request.BodyReader, cancellationToken);
        if (body.Length == 0)
        {
            throw FhirException.BadRequest("The request body is empty; a FHIR resource is required.");
        }

        return format == FhirFormat.Json
            ? FhirSerialization.ParseJson(body)
            : FhirSerialization.ParseXml(body);
    }

    /// <summary>The raw body (for formats that are not a FHIR resource, such as a JSON Patch document).</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await ReadAllAsync(request.BodyReader, cancellationToken);
        return body.Length > 0 ? body : throw FhirException.BadRequest("The request body is empty.");
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            // Not consumed yet: ask for more until the whole body is buffered.
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
