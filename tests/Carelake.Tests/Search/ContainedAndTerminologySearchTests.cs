using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Token :below/:above over stored CodeSystems, canonical references with |version, and _contained.</summary>
public sealed class ContainedAndTerminologySearchTests(TestServer server) : IClassFixture<TestServer>
{
    /// <summary>A small is-a hierarchy: disorder > (heart > (mi, angina), lung), with "angina" also under "pain" via a parent property.</summary>
    private async Task<string> CreateHierarchyAsync()
    {
        var system = "http://example.org/cs/" + Fhir.Unique("h");
        await server.Client.CreateAsync(TestCodeSystems.Findings(system));
        return system;
    }

    private async Task<Dictionary<string, string>> CreateConditionsAsync(string system, params string[] codes)
    {
        var ids = new Dictionary<string, string>();
        foreach (var code in codes)
        {
            var condition = await server.Client.CreateAsync(new Condition { Code = new CodeableConcept(system, code), Subject = new ResourceReference("Patient/x") });
            ids[code] = condition.Id!;
        }

        return ids;
    }

    [Fact]
    public async Task Token_below_and_above_follow_the_stored_code_system_hierarchy()
    {
        var system = await CreateHierarchyAsync();
        var ids = await CreateConditionsAsync(system, "disorder", "heart", "mi", "angina", "lung", "pain");

        static List<string> Sorted(IEnumerable<string> ids) => [.. ids.Order(StringComparer.Ordinal)];

        Assert.Equal(Sorted([ids["heart"], ids["mi"], ids["angina"]]), Sorted(await server.Client.SearchIdsAsync($"Condition?code:below={system}|heart")));
        Assert.Equal(Sorted(ids.Values.Where(v => v != ids["pain"])), Sorted(await server.Client.SearchIdsAsync($"Condition?code:below={system}|disorder")));
        Assert.Equal(Sorted([ids["pain"], ids["angina"]]), Sorted(await server.Client.SearchIdsAsync($"Condition?code:below={system}|pain")));
        Assert.Equal(Sorted([ids["angina"], ids["heart"], ids["disorder"], ids["pain"]]), Sorted(await server.Client.SearchIdsAsync($"Condition?code:above={system}|angina")));
        Assert.Equal([ids["lung"]], await server.Client.SearchIdsAsync($"Condition?code:below={system}|lung"));
    }

    [Fact]
    public async Task Token_below_without_a_known_code_system_is_a_clear_error()
    {
        var unknown = await server.Client.GetAsync("Condition?code:below=http://example.org/never-uploaded|x");
        var outcome = await Fhir.ExpectOutcomeAsync(unknown, HttpStatusCode.BadRequest);
        Assert.Contains("not stored on this server", outcome.Issue[0].Diagnostics, StringComparison.Ordinal);

        var noSystem = await server.Client.GetAsync("Condition?code:below=heart");
        await Fhir.ExpectOutcomeAsync(noSystem, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Canonical_references_match_every_version_or_only_the_one_named()
    {
        var url = "http://example.org/Questionnaire/" + Fhir.Unique("q");
        var v1 = await server.Client.CreateAsync(new QuestionnaireResponse { Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed, Questionnaire = url + "|1.0" });
        var v2 = await server.Client.CreateAsync(new QuestionnaireResponse { Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed, Questionnaire = url + "|2.0" });
        var bare = await server.Client.CreateAsync(new QuestionnaireResponse { Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed, Questionnaire = url });

        var all = await server.Client.SearchIdsAsync($"QuestionnaireResponse?questionnaire={url}");
        Assert.Equal(new[] { bare.Id!, v1.Id!, v2.Id! }.Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
        Assert.Equal([v1.Id!], await server.Client.SearchIdsAsync($"QuestionnaireResponse?questionnaire={url}|1.0"));
        Assert.Equal([v2.Id!], await server.Client.SearchIdsAsync($"QuestionnaireResponse?questionnaire={url}|2.0"));
        Assert.Empty(await server.Client.SearchIdsAsync($"QuestionnaireResponse?questionnaire={url}|3.0"));
    }

    private async Task<(Observation Container, Observation Plain, string Family)> CreateContainedAsync()
    {
        var family = Fhir.Unique("Contained");
        var code = Fhir.Unique("c");
        var container = await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", code),
            Contained =
            [
                new Patient { Id = "p1", Name = [new HumanName { Family = family }], Gender = AdministrativeGender.Female },
                new Patient { Id = "p2", Name = [new HumanName { Family = family + "Other" }], Gender = AdministrativeGender.Male },
            ],
            Subject = new ResourceReference("#p1"),
        });
        var plain = await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = family }], Gender = AdministrativeGender.Male });
        return (container, new Observation { Id = plain.Id }, family);
    }

    [Fact]
    public async Task Contained_resources_are_searchable_only_when_asked()
    {
        var (container, plain, family) = await CreateContainedAsync();

        // Default: stored resources only.
        Assert.Equal([plain.Id!], await server.Client.SearchIdsAsync($"Patient?family={family}"));

        // _contained=true returns the containers (any type) by default.
        var containers = await server.Client.GetResourceAsync<Bundle>($"Patient?family={family}&_contained=true");
        Assert.Equal([("Observation", container.Id!)], containers.Entry.Select(e => (e.Resource!.TypeName, e.Resource.Id!)).ToList());

        // Criteria hold within one contained resource: p1 is female, p2 (family…Other) is male.
        Assert.Empty((await server.Client.GetResourceAsync<Bundle>($"Patient?family:exact={family}&gender=male&_contained=true")).Entry);
        Assert.Single((await server.Client.GetResourceAsync<Bundle>($"Patient?family:exact={family}&gender=female&_contained=true")).Entry);

        // _containedType=contained returns the contained resource itself, addressed inside its container.
        var contained = await server.Client.GetResourceAsync<Bundle>($"Patient?family:exact={family}&_contained=true&_containedType=contained");
        var entry = Assert.Single(contained.Entry);
        Assert.Equal("p1", entry.Resource!.Id);
        Assert.Equal(family, ((Patient)entry.Resource).Name[0].Family);
        Assert.EndsWith($"/Observation/{container.Id}#p1", entry.FullUrl, StringComparison.Ordinal);

        // both: the stored patient and the contained one.
        var both = await server.Client.GetResourceAsync<Bundle>($"Patient?family:exact={family}&_contained=both&_containedType=contained&_total=accurate");
        Assert.Equal(2, both.Total);
        Assert.Equal(["p1", plain.Id!], both.Entry.Select(e => e.Resource!.Id!).ToList());
        var bothContainers = await server.Client.GetResourceAsync<Bundle>($"Patient?family:exact={family}&_contained=both&_total=accurate");
        Assert.Equal(2, bothContainers.Total);
        Assert.Equal(
            new[] { ("Observation", container.Id!), ("Patient", plain.Id!) },
            bothContainers.Entry.Select(e => (e.Resource!.TypeName, e.Resource.Id!)).OrderBy(t => t.TypeName, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Updating_a_container_replaces_its_contained_index_and_deleting_it_removes_it()
    {
        var (container, _, family) = await CreateContainedAsync();
        var query = $"Patient?family:exact={family}&_contained=true";
        Assert.Single((await server.Client.GetResourceAsync<Bundle>(query)).Entry);

        container.Contained[0] = new Patient { Id = "p1", Name = [new HumanName { Family = family + "Renamed" }] };
        await server.Client.PutAsync(container);
        Assert.Empty((await server.Client.GetResourceAsync<Bundle>(query)).Entry);
        Assert.Single((await server.Client.GetResourceAsync<Bundle>($"Patient?family:exact={family}Renamed&_contained=true")).Entry);

        var deleted = await server.Client.DeleteAsync($"Observation/{container.Id}");
        Assert.True(deleted.IsSuccessStatusCode);
        Assert.Empty((await server.Client.GetResourceAsync<Bundle>($"Patient?family:exact={family}Renamed&_contained=true")).Entry);
    }

    [Fact]
    public async Task Contained_paging_walks_every_match_once_and_sort_is_refused()
    {
        var family = Fhir.Unique("ContainedPaging");
        var expected = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var container = await server.Client.CreateAsync(new Observation
            {
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", "x"),
                Contained = [new Patient { Id = "a", Name = [new HumanName { Family = family }] }, new Patient { Id = "b", Name = [new HumanName { Family = family }] }],
            });
            expected.Add($"Observation/{container.Id}#a");
            expected.Add($"Observation/{container.Id}#b");
        }

        var pages = await server.Client.WalkPagesAsync($"Patient?family:exact={family}&_contained=true&_containedType=contained&_count=3");
        var seen = pages.SelectMany(p => p.Entry).Select(e => e.FullUrl![(e.FullUrl!.IndexOf("/Observation/", StringComparison.Ordinal) + 1)..]).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(4, pages.Count);

        var sorted = await server.Client.GetAsync($"Patient?family={family}&_contained=true&_sort=birthdate");
        await Fhir.ExpectOutcomeAsync(sorted, HttpStatusCode.BadRequest);
        var bad = await server.Client.GetAsync($"Patient?family={family}&_contained=maybe");
        await Fhir.ExpectOutcomeAsync(bad, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Chains_follow_local_references_into_contained_resources()
    {
        var (container, _, family) = await CreateContainedAsync();

        Assert.Equal([container.Id!], await server.Client.SearchIdsAsync($"Observation?subject:Patient.family:exact={family}"));
        Assert.Equal([container.Id!], await server.Client.SearchIdsAsync($"Observation?subject.family:exact={family}&subject.gender=female"));

        // p2 is contained too, but the subject refers to p1 only.
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?subject:Patient.family:exact={family}Other"));
    }
}
