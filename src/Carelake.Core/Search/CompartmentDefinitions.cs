using System.Collections.Frozen;
using System.IO.Compression;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Carelake.Core.Search;

/// <summary>
/// The R4 CompartmentDefinitions (Patient, Encounter, RelatedPerson, Practitioner, Device): which search parameters
/// of each resource type link it to a compartment. Read from the specification.zip that ships with the Firely SDK
/// data package, streaming past everything but the five definitions.
/// </summary>
public sealed class CompartmentDefinitions
{
    private const string SpecificationZip = "specification.zip";

    private readonly FrozenDictionary<string, FrozenDictionary<string, string[]>> _byCompartment;

    private CompartmentDefinitions(Dictionary<string, FrozenDictionary<string, string[]>> byCompartment) =>
        _byCompartment = byCompartment.ToFrozenDictionary(StringComparer.Ordinal);

    public static Lazy<CompartmentDefinitions> Standard { get; } = new(() => Load(Path.Combine(AppContext.BaseDirectory, SpecificationZip)));

    public bool IsCompartment(string type) => _byCompartment.ContainsKey(type);

    /// <summary>The parameter codes of <paramref name="resourceType"/> that place it in the compartment; empty when it is never in it.</summary>
    public IReadOnlyList<string> ParametersFor(string compartment, string resourceType) =>
        _byCompartment.TryGetValue(compartment, out var types) && types.TryGetValue(resourceType, out var parameters) ? parameters : [];

    public IEnumerable<string> TypesIn(string compartment) =>
        _byCompartment.TryGetValue(compartment, out var types) ? types.Keys : [];

    public static CompartmentDefinitions Load(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        var entry = zip.GetEntry("profiles-resources.xml") ?? throw new InvalidOperationException($"{zipPath} has no profiles-resources.xml.");
        using var stream = entry.Open();
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreComments = true, IgnoreWhitespace = true });
        var deserializer = new FhirXmlDeserializer();
        var result = new Dictionary<string, FrozenDictionary<string, string[]>>(StringComparer.Ordinal);
        while (reader.ReadToFollowing("CompartmentDefinition", "http://hl7.org/fhir"))
        {
            using var subtree = reader.ReadSubtree();
            subtree.MoveToContent();
            var definition = (CompartmentDefinition)deserializer.DeserializeResource(subtree);
            if (definition.Code is not { } code)
            {
                continue;
            }

            result[code.ToString()] = definition.Resource
                .Where(r => r.Code is not null && r.Param.Any())
                .ToFrozenDictionary(r => r.Code!.Value.ToString(), r => r.Param.OfType<string>().ToArray(), StringComparer.Ordinal);
        }

        return new CompartmentDefinitions(result);
    }
}
