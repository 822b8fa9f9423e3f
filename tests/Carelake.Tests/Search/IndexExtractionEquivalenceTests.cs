using System.Text.Json;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace Carelake.Tests.Search;

/// <summary>
/// The indexer walks the common expression shapes on the model instead of running FHIRPath (see ElementPath). Its
/// output must be exactly FHIRPath's: every official R4 example and every Synthea resource is indexed both ways and
/// the index values compared (as sets: FHIRPath's union merges equal items, the walk only the same element twice).
/// </summary>
public sealed class IndexExtractionEquivalenceTests
{
    private static readonly SearchParameterRegistry Registry =
        new(SearchParameterRegistry.StandardDefinitions().Select((d, i) => d with { Id = i + 1 }));

    /// <summary>
    /// R4's Observation code-value-date composite says <c>value.as(DateTime)</c>: FHIRPath reads DateTime as the
    /// System type, which no FHIR dateTime is, so FHIRPath indexes nothing and the parameter could never match. The
    /// walk resolves the name as a FHIR type, which is what the definition means (other servers index it the same way).
    /// </summary>
    private static readonly int CodeValueDate = Registry.ForType("Observation").Single(p => p.Code == "code-value-date").Id;

    public static TheoryData<string> Sources => new() { "fhir-examples", "synthea" };

    [Theory]
    [MemberData(nameof(Sources))]
    public void Walked_paths_index_exactly_what_FHIRPath_indexes(string source)
    {
        var walked = new SearchIndexer(Registry);
        var reference = new SearchIndexer(Registry) { WalkSimplePaths = false };
        var compared = 0;
        var withValues = 0;
        var differences = new List<string>();
        foreach (var (name, resource) in Resources(source))
        {
            var expected = Render(reference.Extract(resource).Where(v => v.ParamId != CodeValueDate));
            var actual = Render(walked.Extract(resource).Where(v => v.ParamId != CodeValueDate));
            compared++;
            withValues += expected.Count > 0 ? 1 : 0;
            if (!expected.SetEquals(actual))
            {
                differences.Add($"{name}: only FHIRPath [{string.Join("; ", expected.Except(actual))}] only walked [{string.Join("; ", actual.Except(expected))}]");
            }
        }

        Assert.True(compared >= (source == "synthea" ? 14_000 : 400), $"only {compared} resources compared");
        Assert.True(withValues >= compared * 9 / 10, $"only {withValues} of {compared} resources had index values");
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    [Fact]
    public void Type_filters_unions_and_where_clauses_select_the_right_elements()
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Value = new Quantity(72, "/min"),
            Component =
            [
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8480-6"), Value = new Quantity(120, "mm[Hg]") },
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8462-4"), Value = new FhirString("not a quantity") },
            ],
        };

        var quantities = ElementPath.TryParse("(Observation.value as Quantity) | (Observation.component.value as Quantity)", "Observation")!.Select(observation);
        Assert.Equal([72m, 120m], quantities.Cast<Quantity>().Select(q => q.Value!.Value));

        var strings = ElementPath.TryParse("Observation.component.value.ofType(string)", "Observation")!.Select(observation);
        Assert.Equal("not a quantity", Assert.Single(strings.Cast<FhirString>()).Value);

        var relative = ElementPath.TryParse("value.as(Quantity)", rootType: null)!.Select(observation.Component[0]);
        Assert.Equal(120m, Assert.IsType<Quantity>(Assert.Single(relative)).Value);

        var patient = new Patient { Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "555"), new ContactPoint(ContactPoint.ContactPointSystem.Email, null, "a@b.c")] };
        var email = ElementPath.TryParse("Patient.telecom.where(system='email')", "Patient")!.Select(patient);
        Assert.Equal("a@b.c", Assert.IsType<ContactPoint>(Assert.Single(email)).Value);

        var lastPeriod = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8665-2"), Value = new FhirDateTime("2024-05-01") };
        var composite = Assert.IsType<CompositeIndexValue>(Assert.Single(new SearchIndexer(Registry).Extract(lastPeriod), v => v.ParamId == CodeValueDate));
        Assert.IsType<DateIndexValue>(composite.Components[1]);

        // Shapes the walk does not cover are left to FHIRPath.
        Assert.Null(ElementPath.TryParse("Patient.deceased.exists() and Patient.deceased != false", "Patient"));
        Assert.Null(ElementPath.TryParse("Bundle.entry[0].resource", "Bundle"));
        Assert.Null(ElementPath.TryParse("Observation.value as Unknowntype", "Observation"));
        Assert.Null(ElementPath.TryParse("Patient.name", "Observation"));
    }

    private static IEnumerable<(string Name, Resource Resource)> Resources(string source)
    {
        if (source == "fhir-examples")
        {
            foreach (var file in Directory.GetFiles(SharedData.PathOf("fhir-examples", "r4"), "*.json").Order(StringComparer.Ordinal))
            {
                Resource resource;
                try
                {
                    resource = FhirSerialization.ParseJson(File.ReadAllBytes(file));
                }
                catch (FhirException)
                {
                    continue;
                }

                yield return (Path.GetFileName(file), resource);
            }

            yield break;
        }

        foreach (var file in Directory.GetFiles(SharedData.PathOf("synthea", "r4-transaction-bundles"), "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            var index = 0;
            foreach (var entry in document.RootElement.GetProperty("entry").EnumerateArray())
            {
                var resource = FhirSerialization.ParseJson(JsonSerializer.SerializeToUtf8Bytes(entry.GetProperty("resource")));
                yield return ($"{Path.GetFileName(file)}#{index++}", resource);
            }
        }
    }

    private static HashSet<string> Render(IEnumerable<IndexValue> values) => values.Select(Render).ToHashSet(StringComparer.Ordinal);

    private static string Render(IndexValue value) => value switch
    {
        CompositeIndexValue composite => $"composite {composite.ParamId} ({string.Join(", ", composite.Components.Select(Render))})",
        ContainedIndexValue contained => $"contained {contained.Type}/{contained.Id} ({string.Join(", ", contained.Values.Select(Render).Order(StringComparer.Ordinal))})",
        _ => value.ToString(),
    };
}
