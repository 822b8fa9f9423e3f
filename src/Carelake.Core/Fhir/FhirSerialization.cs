using System.Text;
using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Carelake.Core.Fhir;

/// <summary>
/// The process-wide FHIR serializers. Options are built once: building them per call costs more than the parse itself.
/// Client input is parsed strictly; our own stored data is parsed in recoverable mode so that a stricter future SDK
/// never makes stored data unreadable.
/// </summary>
public static class FhirSerialization
{
    public static readonly JsonSerializerOptions StrictJson = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    public static readonly JsonSerializerOptions StoredJson =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector).UsingMode(DeserializationMode.Recoverable);

    public static readonly JsonSerializerOptions PrettyJson =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector).Pretty();

    /// <summary>The parser without its per-element validation hook: <see cref="StructuralChecks"/> runs the same checks after it, cheaper.</summary>
    private static readonly JsonSerializerOptions UncheckedJson =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector, new FhirJsonConverterOptions { Validator = null });

    private static readonly FhirXmlSerializer XmlSerializer = new();

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Parses client JSON; every problem becomes a 400 with issue locations (FHIRPath and line/position).</summary>
    public static Resource ParseJson(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        try
        {
            var probe = new Utf8JsonReader(utf8);
            if (probe.Read() && probe.TokenType != JsonTokenType.StartObject)
            {
                throw FhirException.BadRequest($"The body is a JSON {probe.TokenType}, not a FHIR resource (a JSON object with resourceType).");
            }

            if (TryParseChecked(utf8) is { } valid)
            {
                return valid;
            }

            // Something failed: the strict parse says what (or, if the checks were only over-cautious, accepts it).
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
            var resource = JsonSerializer.Deserialize<Resource>(ref reader, StrictJson)
                ?? throw FhirException.BadRequest("The body is JSON null, not a FHIR resource.");
            // The serializer stops after the resource's closing brace; anything but whitespace after it is malformed.
            if (reader.Read())
            {
                throw new FhirException(400, OperationOutcome.IssueType.Structure, $"Malformed JSON: unexpected content after the resource, at byte {reader.TokenStartIndex}.");
            }

            return resource;
        }
        catch (DeserializationFailedException e)
        {
            throw new FhirException(400, ToOutcome(e));
        }
        catch (JsonException e)
        {
            throw new FhirException(400, OperationOutcome.IssueType.Structure, $"Malformed JSON: {JsonErrorLocation(e)}");
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or InvalidCastException or ArgumentException)
        {
            // The parser gives up on some input with these (an abstract resourceType such as "DomainResource"): it is
            // still the client's input that is wrong, not the server.
            throw new FhirException(400, OperationOutcome.IssueType.Structure, $"The body is not a FHIR resource this server can read: {e.Message}");
        }
    }

    /// <summary>
    /// The fast path of <see cref="ParseJson"/>: a parse without Firely's validation hook, then the same checks in one
    /// walk. Null when anything fails, for the strict parse to report; never throws.
    /// </summary>
    internal static Resource? TryParseChecked(ReadOnlySpan<byte> utf8)
    {
        if (HasNullToken(utf8))
        {
            // Firely reads an array sent for a single-valued primitive ("_birthDate": [null, {…}]) by keeping the first
            // item and discarding the others unchecked; only its validation hook sees what they held. Nulls are legal in
            // FHIR JSON only in primitive arrays beside their extensions, so such input simply takes the strict path.
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
            var resource = JsonSerializer.Deserialize<Resource>(ref reader, UncheckedJson);
            return resource is not null && !reader.Read() && StructuralChecks.Hold(resource) ? resource : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Malformed input of any kind: the strict parse turns it into the client's 400.
            return null;
        }
    }

    /// <summary>A JSON null anywhere (the bytes "null" are rare, so the token scan runs only when they occur).</summary>
    private static bool HasNullToken(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IndexOf("null"u8) < 0)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    return true;
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    public static Resource ParseXml(byte[] xml)
    {
        try
        {
            // From bytes, so the reader honours a byte order mark and the encoding declaration.
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 0 };
            using var reader = XmlReader.Create(new MemoryStream(xml), settings);
            return new FhirXmlDeserializer().DeserializeResource(reader);
        }
        catch (DeserializationFailedException e)
        {
            throw new FhirException(400, ToOutcome(e));
        }
        catch (XmlException e)
        {
            throw new FhirException(400, OperationOutcome.IssueType.Structure, $"Malformed XML: {e.Message}");
        }
    }

    /// <summary>
    /// Parses JSON for $validate: the parser's findings become issues instead of an exception, and whatever could be
    /// read is returned (null when nothing could) so the validator can report the rest.
    /// </summary>
    public static Resource? ParseForValidation(ReadOnlySpan<byte> utf8, OperationOutcome findings)
    {
        try
        {
            return JsonSerializer.Deserialize<Resource>(utf8, StrictJson);
        }
        catch (DeserializationFailedException e)
        {
            findings.Issue.AddRange(ToOutcome(e).Issue);
            return e.PartialResult as Resource;
        }
        catch (JsonException e)
        {
            findings.Issue.AddRange(Outcomes.Error(OperationOutcome.IssueType.Structure, $"The body is not valid JSON: {e.Message}").Issue);
            return null;
        }
    }

    /// <summary>Parses data this server wrote; never fails on content accepted by an older version.</summary>
    public static Resource ParseStored(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<Resource>(utf8, StoredJson)
            ?? throw new InvalidOperationException("Stored resource is JSON null.");

    public static byte[] ToJsonBytes(Resource resource) => JsonSerializer.SerializeToUtf8Bytes(resource, StrictJson);

    public static byte[] ToJsonBytes(Base element, bool pretty) =>
        JsonSerializer.SerializeToUtf8Bytes(element, element.GetType(), pretty ? PrettyJson : StrictJson);

    public static string ToXml(Base element, bool pretty)
    {
        var xml = XmlSerializer.SerializeToString(element, pretty);
        return xml;
    }

    public static byte[] ToXmlBytes(Base element, bool pretty) => Encoding.UTF8.GetBytes(ToXml(element, pretty));

    public static OperationOutcome ToOutcome(DeserializationFailedException e)
    {
        var outcome = new OperationOutcome();
        var resourceType = e.PartialResult?.TypeName;
        foreach (var error in e.Exceptions)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = error.ErrorCode is "PC1002" or "JSON102" ? OperationOutcome.IssueType.Structure : OperationOutcome.IssueType.Invalid,
                Diagnostics = error.Message,
                Expression = error is ExtendedCodedException { } extended && LocationOf(extended, resourceType) is { } location ? [location] : [],
            });
        }

        if (outcome.Issue.Count == 0)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = OperationOutcome.IssueType.Invalid,
                Diagnostics = e.Message,
            });
        }

        return outcome;
    }

    private static string? LocationOf(ExtendedCodedException e, string? resourceType)
    {
        // Messages end with "At Patient.birthDate, line 1, position 63." — keep the FHIRPath part as the expression.
        var message = e.Message;
        var at = message.LastIndexOf(" At ", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var rest = message[(at + 4)..];
        var comma = rest.IndexOf(',', StringComparison.Ordinal);
        var path = (comma >= 0 ? rest[..comma] : rest).TrimEnd('.');
        if (path.Length == 0 || path == "$this" || path.StartsWith("line ", StringComparison.Ordinal))
        {
            return null;
        }

        // Firely roots some paths at "$this"; FHIRPath locations start at the resource type.
        return path.StartsWith("$this.", StringComparison.Ordinal) && resourceType is not null ? resourceType + path[5..] : path;
    }

    private static string JsonErrorLocation(JsonException e) =>
        e.LineNumber is { } line
            ? $"line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}"
            : FirstSentence(e.Message);

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
