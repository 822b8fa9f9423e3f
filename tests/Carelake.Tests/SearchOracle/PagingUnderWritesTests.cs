using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Carelake.Core.Generation;
using Carelake.Import;
using Carelake.Tests.Http;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.SearchOracle;

/// <summary>Its own server with the generated data set: these tests write while they page.</summary>
public sealed class PagingServerFixture : IAsyncLifetime
{
    public TestServer Server { get; } = new();

    public List<string> PatientIds { get; } = [];

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        var resources = new SyntheticDataGenerator(seed: 7, referenceNow: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)).Generate(30).ToList();
        PatientIds.AddRange(resources.OfType<Patient>().Select(p => p.Id!));
        var summary = new ImportSummary();
        await new ResourceImporter(Server.Services).ImportResourcesAsync(resources, summary, null, CancellationToken.None);
        Assert.Equal(0, summary.Failed);
    }

    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>
/// Paging stays correct under concurrent writes: a walk over the next links of a searchset returns every resource that
/// matched before the walk (and was not deleted during it) exactly once, never an id twice, and nothing that never matched.
/// </summary>
public sealed class PagingUnderWritesTests(PagingServerFixture fixture, ITestOutputHelper output) : IClassFixture<PagingServerFixture>
{
    private const string Query = "Observation?category=vital-signs&_count=50";

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_walk_while_matching_resources_are_created_and_others_deleted_returns_each_prior_match_once()
    {
        var before = (await AllIdsAsync("Observation?category=vital-signs&_count=1000")).ToHashSet(StringComparer.Ordinal);
        var laboratory = await AllIdsAsync("Observation?category=laboratory&_count=1000");
        Assert.True(before.Count > 200, $"Only {before.Count} vital-signs Observations to page through.");
        Assert.True(laboratory.Count > 50, $"Only {laboratory.Count} laboratory Observations to delete.");

        var created = new ConcurrentBag<string>();
        var deleted = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var observation = await Client.CreateAsync(NewVitalSign(fixture.PatientIds[i % fixture.PatientIds.Count], i));
                created.Add(observation.Id!);
                // Deletions only of resources that were no match before the walk: laboratory Observations, and now and
                // then one of the Observations this writer created.
                var victim = i % 3 == 2 && created.TryPeek(out var mine) && mine != observation.Id ? mine : laboratory[i % laboratory.Count];
                using var response = await Client.DeleteAsync($"Observation/{victim}");
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                deleted.Add(victim);
                i++;
            }
        });

        List<string> walked;
        int pages;
        try
        {
            (walked, pages) = await WalkSlowlyAsync(Query);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        output.WriteLine($"{before.Count} matches before; walked {walked.Count} ids in {pages} pages while {created.Count} were created and {deleted.Count} deleted.");
        Assert.True(created.Count >= 10, $"Only {created.Count} writes happened during the walk: the test did not overlap writes with paging.");

        var twice = walked.GroupBy(id => id, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} ids returned more than once: {string.Join(", ", twice.Take(10))}");

        var deletedSet = deleted.ToHashSet(StringComparer.Ordinal);
        var missing = before.Where(id => !deletedSet.Contains(id) && !walked.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} prior matches were never returned: {string.Join(", ", missing.Take(10))}");

        var createdSet = created.ToHashSet(StringComparer.Ordinal);
        var foreign = walked.Where(id => !before.Contains(id) && !createdSet.Contains(id)).ToList();
        Assert.True(foreign.Count == 0, $"{foreign.Count} returned ids never matched: {string.Join(", ", foreign.Take(10))}");
    }

    [Fact]
    public async Task A_walk_while_prior_matches_are_updated_returns_each_of_them_once()
    {
        var before = await AllIdsAsync("Observation?category=vital-signs&_count=1000");
        var updates = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var random = new Random(11);
            while (!stop.IsCancellationRequested)
            {
                // A new version of a prior match that still matches (sid-ordered paging must not move it).
                var id = before[random.Next(before.Count)];
                var observation = await Client.GetResourceAsync<Observation>($"Observation/{id}");
                observation.Issued = DateTimeOffset.UtcNow;
                await Client.PutAsync(observation);
                Interlocked.Increment(ref updates);
            }
        });

        List<string> walked;
        try
        {
            (walked, _) = await WalkSlowlyAsync(Query);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        output.WriteLine($"{before.Count} matches before; walked {walked.Count} while {updates} updates ran.");
        Assert.True(updates >= 10, $"Only {updates} updates happened during the walk.");
        var twice = walked.GroupBy(id => id, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} ids returned more than once: {string.Join(", ", twice.Take(10))}");
        var walkedSet = walked.ToHashSet(StringComparer.Ordinal);
        var missing = before.Where(id => !walkedSet.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} prior matches were never returned: {string.Join(", ", missing.Take(10))}");
    }

    private static Observation NewVitalSign(string patientId, int i) => new()
    {
        Status = ObservationStatus.Final,
        Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")],
        Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate"),
        Subject = new ResourceReference("Patient/" + patientId),
        Effective = new FhirDateTime(new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(i)),
        Value = new Quantity(60 + (i % 40), "/min", "http://unitsofmeasure.org"),
    };

    private async Task<List<string>> AllIdsAsync(string query)
    {
        var answer = await OracleRunner.SearchAsync(Client, fixture.Server.BaseUrl, query);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        return answer.MatchKeys.Select(k => k[(k.IndexOf('/', StringComparison.Ordinal) + 1)..]).ToList();
    }

    /// <summary>Follows the next links with a pause between pages, so the writer gets to write between them.</summary>
    private async Task<(List<string> Ids, int Pages)> WalkSlowlyAsync(string query)
    {
        var ids = new List<string>();
        var pages = 0;
        string? url = $"{fixture.Server.BaseUrl}/{query}";
        while (url is not null)
        {
            Assert.True(++pages < 1000, "The next links do not end.");
            using var response = await Client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} for {url}: {body}");
            var bundle = JsonNode.Parse(body)!;
            ids.AddRange((bundle["entry"]?.AsArray() ?? [])
                .Where(e => (string?)e!["search"]?["mode"] is null or "match")
                .Select(e => (string)e!["resource"]!["id"]!));
            url = bundle["link"]?.AsArray().FirstOrDefault(l => (string?)l!["relation"] == "next")?["url"]?.GetValue<string>();
            await Task.Delay(40);
        }

        return (ids, pages);
    }
}
