using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace Carelake.Core.Fhir;

/// <summary>
/// _summary and _elements (R4 3.1.1.5.8/9): the subset of each resource to return. Without either, stored bytes are
/// returned untouched; with one, the resource is parsed and re-serialised through Firely's summary filters and
/// tagged SUBSETTED.
/// </summary>
public sealed record ResourceFilter(SummaryType Summary, string[]? Elements)
{
    private static readonly BaseFhirJsonSerializer JsonSerializer = new(ModelInfo.ModelInspector);
    private static readonly BaseFhirXmlSerializer XmlSerializer = new(ModelInfo.ModelInspector);
    private static readonly Coding Subsetted = new("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "SUBSETTED");

    public static ResourceFilter? From(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        SummaryType? summary = null;
        string[]? elements = null;
        foreach (var (key, value) in parameters)
        {
            if (key == "_summary")
            {
                summary = value switch
                {
                    "true" => SummaryType.True,
                    "text" => SummaryType.Text,
                    "data" => SummaryType.Data,
                    "false" => SummaryType.False,
                    "count" => SummaryType.Count,
                    _ => throw FhirException.BadRequest($"_summary takes true, text, data, count or false, not '{value}'."),
                };
            }
            else if (key == "_elements")
            {
                elements = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), "id", "meta"];
            }
        }

        if (summary is null or SummaryType.False or SummaryType.Count && elements is null)
        {
            return null;
        }

        return new ResourceFilter(summary is SummaryType.Count ? SummaryType.False : summary ?? SummaryType.False, elements);
    }

    public byte[] ApplyJson(byte[] stored, bool pretty) => JsonSerializer.SerializeToBytes(Prepare(stored), Summary, Elements, false, pretty);

    public byte[] ApplyXml(byte[] stored, bool pretty) => XmlSerializer.SerializeToBytes(Prepare(stored), Summary, Elements, pretty, null, false);

    private Resource Prepare(byte[] stored) => Mark(FhirSerialization.ParseStored(stored));

    private Resource Mark(Resource resource)
    {
        if (Elements is not null)
        {
            // Firely tags summaries itself; an _elements subset is tagged here.
            resource.Meta ??= new Meta();
            resource.Meta.Tag.Add((Coding)Subsetted.DeepCopy());
        }

        return resource;
    }
}
