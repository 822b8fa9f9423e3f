using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>_count and next-page links, and the handling of unknown parameters (lenient by default, strict on request).</summary>
public sealed class SearchPagingTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Count_pages_and_next_links_return_every_match_exactly_once()
    {
        var family = Fhir.Unique("Page");
        var ids = await CreateManyAsync(family, 23);

        var pages = await Client.WalkPagesAsync($"Patient?family={family}&_count=5");

        Assert.Equal([5, 5, 5, 5, 3], pages.Select(p => Fhir.MatchIds(p).Count));
        var found = pages.SelectMany(Fhir.MatchIds).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        Assert.All(pages, p => Assert.Equal(Bundle.BundleType.Searchset, p.Type));
        Assert.All(pages, p => Assert.Single(p.Link, l => l.Relation == "self"));
        Assert.All(pages.SkipLast(1), p => Assert.StartsWith($"{server.BaseUrl}/Patient?", Fhir.NextLink(p), StringComparison.Ordinal));
        Assert.All(pages.SkipLast(1), p => Assert.Contains($"family={family}", Fhir.NextLink(p), StringComparison.Ordinal));
        Assert.Null(Fhir.NextLink(pages[^1]));
    }

    [Fact]
    public async Task Without_count_the_default_page_size_applies_and_next_links_reach_the_end()
    {
        var family = Fhir.Unique("DefaultPage");
        var ids = await CreateManyAsync(family, 25);

        var pages = await Client.WalkPagesAsync($"Patient?family={family}");

        Assert.True(pages.Count >= 2, "25 matches should not fit in one default page (20).");
        Assert.Equal(ids.Order(StringComparer.Ordinal), pages.SelectMany(Fhir.MatchIds).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_page_walk_returns_each_match_once_even_when_matches_are_updated_during_the_walk()
    {
        var family = Fhir.Unique("Stable");
        var ids = await CreateManyAsync(family, 12);

        var first = await Client.GetResourceAsync<Bundle>($"Patient?family={family}&_count=4");
        foreach (var id in Fhir.MatchIds(first))
        {
            var patient = await Client.GetResourceAsync<Patient>($"Patient/{id}");
            patient.Active = true;
            await Client.PutAsync(patient);
        }

        var rest = await Client.WalkPagesAsync(Fhir.NextLink(first)!);
        var found = Fhir.MatchIds(first).Concat(rest.SelectMany(Fhir.MatchIds)).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Count_zero_returns_no_entries_and_count_above_the_maximum_is_capped()
    {
        var family = Fhir.Unique("Zero");
        await CreateManyAsync(family, 3);

        var zero = await Client.GetResourceAsync<Bundle>($"Patient?family={family}&_count=0");
        Assert.Empty(Fhir.MatchIds(zero));
        Assert.Equal(3, zero.Total);

        var huge = await Client.GetResourceAsync<Bundle>($"Patient?family={family}&_count=100000");
        Assert.Equal(3, Fhir.MatchIds(huge).Count);
    }

    [Fact]
    public async Task Unknown_parameters_are_ignored_and_reported_in_an_outcome_entry()
    {
        var family = Fhir.Unique("Lenient");
        var patient = await Client.CreateAsync(Fhir.NewPatient(family));

        using var response = await Client.GetAsync($"Patient?family={family}&shoe-size=44");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var bundle = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal([patient.Id!], Fhir.MatchIds(bundle));
        var outcomeEntry = Assert.Single(bundle.Entry, e => e.Search?.Mode == Bundle.SearchEntryMode.Outcome);
        var outcome = Assert.IsType<OperationOutcome>(outcomeEntry.Resource);
        Assert.Contains(outcome.Issue, i => i.Diagnostics!.Contains("shoe-size", StringComparison.Ordinal)
            && i.Severity is OperationOutcome.IssueSeverity.Warning or OperationOutcome.IssueSeverity.Information);
        var self = bundle.Link.Single(l => l.Relation == "self").Url!;
        Assert.DoesNotContain("shoe-size", self, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_parameters_with_Prefer_handling_strict_return_400()
    {
        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient?family={Fhir.Unique("Strict")}&shoe-size=44", null, ("Prefer", "handling=strict"));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(outcome.Issue, i => i.Diagnostics!.Contains("shoe-size", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Known_parameters_with_Prefer_handling_strict_are_answered_normally()
    {
        var family = Fhir.Unique("StrictOk");
        var patient = await Client.CreateAsync(Fhir.NewPatient(family));

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient?family={family}&_count=5&_format=json", null, ("Prefer", "handling=strict"));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal([patient.Id!], Fhir.MatchIds(await Fhir.ReadAsync<Bundle>(response)));
    }

    [Theory]
    [InlineData("_count=-1")]
    [InlineData("_count=ten")]
    [InlineData("_cursor=not-a-cursor")]
    public async Task Invalid_paging_parameters_return_400(string query)
    {
        using var response = await Client.GetAsync($"Patient?{query}");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    private async Task<List<string>> CreateManyAsync(string family, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await Client.CreateAsync(Fhir.NewPatient(family, $"n{i}"))).Id!);
        }

        return ids;
    }
}
