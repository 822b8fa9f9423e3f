using Carelake.Core.Search;
using Hl7.Fhir.Model;

namespace Carelake.Core.Tests.Search;

/// <summary>
/// Parameters that are exactly the union of others (Observation's combo-*) store no rows of their own; the registry
/// finds them from the definitions' expressions, and the indexer leaves them out.
/// </summary>
public sealed class UnionParameterTests
{
    private static readonly SearchParameterRegistry Registry = new(
        SearchParameterRegistry.StandardDefinitions().Select((p, i) => p with { Id = i + 1 }).ToList());

    private static int IdOf(string type, string code) => Registry.TryGet(type, code, out var p) ? p.Id : throw new KeyNotFoundException(code);

    [Theory]
    [InlineData("combo-code", "code", "component-code")]
    [InlineData("combo-value-quantity", "value-quantity", "component-value-quantity")]
    [InlineData("combo-value-concept", "value-concept", "component-value-concept")]
    [InlineData("combo-data-absent-reason", "data-absent-reason", "component-data-absent-reason")]
    [InlineData("combo-code-value-quantity", "code-value-quantity", "component-code-value-quantity")]
    [InlineData("combo-code-value-concept", "code-value-concept", "component-code-value-concept")]
    public void Observation_combo_parameters_are_searched_through_the_rows_of_the_two_they_unite(string combo, string first, string second)
    {
        Assert.True(Registry.TryGet("Observation", combo, out var parameter));

        Assert.Equal(new[] { IdOf("Observation", first), IdOf("Observation", second) }.Order(), parameter.StoredAs.Order());
        Assert.Equal(parameter.StoredAs, parameter.RowIds);
    }

    [Fact]
    public void Only_exact_unions_are_found_in_the_whole_r4_set()
    {
        var unions = Registry.All.Where(p => p.StoredAs.Count > 0)
            .Select(p => $"{p.ResourceType}.{p.Code} = {string.Join(" | ", p.StoredAs.Select(id => Registry.All.Single(q => q.Id == id).Code).Order(StringComparer.Ordinal))}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(
        [
            "Observation.combo-code = code | component-code",
            "Observation.combo-code-value-concept = code-value-concept | component-code-value-concept",
            "Observation.combo-code-value-quantity = code-value-quantity | component-code-value-quantity",
            "Observation.combo-data-absent-reason = component-data-absent-reason | data-absent-reason",
            "Observation.combo-value-concept = component-value-concept | value-concept",
            "Observation.combo-value-quantity = component-value-quantity | value-quantity",
        ], unions);
        Assert.All(Registry.All.Where(p => p.StoredAs.Count == 0), p => Assert.Equal([p.Id], p.RowIds));
    }

    [Fact]
    public void A_custom_definition_that_changes_one_part_makes_the_combo_store_its_own_rows_again()
    {
        var standard = SearchParameterRegistry.StandardDefinitions().Select((p, i) => p with { Id = i + 1 }).ToList();
        var code = standard.Single(p => p.ResourceType == "Observation" && p.Code == "code");
        var custom = code with { Expression = "Observation.code.coding", Url = "http://example.org/SearchParameter/obs-code" };

        var registry = new SearchParameterRegistry(SearchParameterRegistry.Merge(standard, [custom]));

        Assert.True(registry.TryGet("Observation", "combo-code", out var combo));
        Assert.Empty(combo.StoredAs);
    }

    [Fact]
    public void The_indexer_writes_no_values_for_a_union_parameter()
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "85354-9"),
            Component =
            [
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8480-6"), Value = new Quantity(120, "mm[Hg]") },
            ],
            Value = new Quantity(5, "mmol/L"),
        };

        var values = new SearchIndexer(Registry).Extract(observation);

        var written = values.Select(v => v.ParamId).ToHashSet();
        Assert.Contains(IdOf("Observation", "code"), written);
        Assert.Contains(IdOf("Observation", "component-code"), written);
        Assert.Contains(IdOf("Observation", "code-value-quantity"), written);
        Assert.Contains(IdOf("Observation", "component-code-value-quantity"), written);
        Assert.DoesNotContain(IdOf("Observation", "combo-code"), written);
        Assert.DoesNotContain(IdOf("Observation", "combo-value-quantity"), written);
        Assert.DoesNotContain(IdOf("Observation", "combo-code-value-quantity"), written);
    }
}
