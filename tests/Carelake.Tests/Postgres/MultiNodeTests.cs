using System.Collections.Concurrent;
using System.Net;
using Carelake.Tests.Http;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>
/// Issue F4: two Carelake server processes on one PostgreSQL database behave as one server — no update is lost or
/// numbered twice when both nodes update the same resources, and what one node acknowledged the other one sees.
/// </summary>
[Trait("Provider", "PostgresOnly")]
public sealed class MultiNodeTests : IAsyncLifetime, IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "carelake-tests", "nodes-" + Guid.NewGuid().ToString("N"));
    private ServerProcess? _nodeA;
    private ServerProcess? _nodeB;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(60) };

    private ServerProcess NodeA => _nodeA!;

    private ServerProcess NodeB => _nodeB!;

    public async Task InitializeAsync()
    {
        var database = await TestPostgres.DatabaseForAsync(_dataDir);
        // Both nodes start at once: the schema migration runs under an advisory lock, once.
        var starting = new[] { ServerProcess.StartAsync(_dataDir + "-a", "--database", database), ServerProcess.StartAsync(_dataDir + "-b", "--database", database) };
        var nodes = await Task.WhenAll(starting);
        (_nodeA, _nodeB) = (nodes[0], nodes[1]);
    }

    public void Dispose() => _client.Dispose();

    public async Task DisposeAsync()
    {
        if (_nodeA is not null)
        {
            await _nodeA.DisposeAsync();
        }

        if (_nodeB is not null)
        {
            await _nodeB.DisposeAsync();
        }
    }

    [Fact]
    public async Task Concurrent_If_Match_updates_through_two_nodes_use_every_version_once_and_lose_none()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await CreateAsync(NodeA, new Patient { Name = [new HumanName { Family = Fhir.Unique("Node") }] })).Id!);
        }

        // Each acknowledged update: the version the server assigned and the marker that client wrote into it.
        var acknowledged = new ConcurrentBag<(string Id, int Version, string Marker)>();
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var node = worker % 2 == 0 ? NodeA : NodeB;
            for (var round = 0; round < 12; round++)
            {
                var id = ids[(worker + round) % ids.Count];
                var marker = $"w{worker}r{round}";
                for (var attempt = 0; attempt < 200; attempt++)
                {
                    using var read = await _client.GetAsync($"{node.BaseUrl}/Patient/{id}");
                    var current = Fhir.Parse<Patient>(await read.Content.ReadAsStringAsync());
                    current.Name[0].Given = [marker];
                    using var request = Fhir.Request(HttpMethod.Put, $"{node.BaseUrl}/Patient/{id}", Fhir.JsonContent(current), ("If-Match", Fhir.ETagOf(read)));
                    using var response = await _client.SendAsync(request);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var stored = Fhir.Parse<Patient>(await response.Content.ReadAsStringAsync());
                        acknowledged.Add((id, int.Parse(stored.Meta!.VersionId!, System.Globalization.CultureInfo.InvariantCulture), marker));
                        break;
                    }

                    // Someone else updated it first: read again and retry, as a client would.
                    Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
                }
            }
        })).ToList();
        await Task.WhenAll(workers);

        Assert.Equal(8 * 12, acknowledged.Count);
        foreach (var id in ids)
        {
            var mine = acknowledged.Where(a => a.Id == id).ToList();
            // Every version number was handed out once, and they are exactly 2..n+1: nothing skipped, nothing reused.
            Assert.Equal(Enumerable.Range(2, mine.Count), mine.Select(a => a.Version).Order());
            var history = await _client.GetResourceAsync<Bundle>($"{NodeB.BaseUrl}/Patient/{id}/_history?_count=1000");
            Assert.Equal(mine.Count + 1, history.Entry.Count);
            foreach (var (_, version, marker) in mine)
            {
                // Each acknowledged update is the version it was acknowledged as, with the content that client wrote.
                using var vread = await _client.GetAsync($"{NodeB.BaseUrl}/Patient/{id}/_history/{version}");
                Assert.Equal(HttpStatusCode.OK, vread.StatusCode);
                Assert.Equal(marker, Fhir.Parse<Patient>(await vread.Content.ReadAsStringAsync()).Name[0].Given.Single());
            }
        }
    }

    [Fact]
    public async Task A_create_acknowledged_by_one_node_is_found_by_a_search_on_the_other()
    {
        for (var i = 0; i < 5; i++)
        {
            var family = Fhir.Unique("Seen");
            var created = await CreateAsync(NodeA, new Patient { Name = [new HumanName { Family = family }] });
            var found = await _client.GetResourceAsync<Bundle>($"{NodeB.BaseUrl}/Patient?family={family}");
            Assert.Equal([created.Id!], Fhir.MatchIds(found));
        }
    }

    [Fact]
    public async Task Paging_links_from_one_node_work_on_the_other()
    {
        var tag = Fhir.Unique("page");
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var patient = new Patient { Meta = new Meta { Tag = [new Coding("http://example.org/test", tag)] }, Name = [new HumanName { Family = "Pager" }] };
            created.Add((await CreateAsync(i % 2 == 0 ? NodeA : NodeB, patient)).Id!);
        }

        foreach (var sort in new[] { string.Empty, "&_sort=-_lastUpdated" })
        {
            var seen = new List<string>();
            var (served, other) = (NodeA, NodeB);
            var page = await _client.GetResourceAsync<Bundle>($"{served.BaseUrl}/Patient?_tag={tag}&_count=2{sort}");
            seen.AddRange(Fhir.MatchIds(page));
            while (Fhir.NextLink(page) is { } next)
            {
                // The cursor is in the link, not in the node's memory: each page is asked of the node that did not serve the previous one.
                Assert.StartsWith(served.BaseUrl, next, StringComparison.Ordinal);
                page = await _client.GetResourceAsync<Bundle>(other.BaseUrl + next[served.BaseUrl.Length..]);
                (served, other) = (other, served);
                seen.AddRange(Fhir.MatchIds(page));
            }

            Assert.Equal(created.Order(), seen.Order());
        }
    }

    [Fact]
    public async Task Concurrent_conditional_creates_through_both_nodes_store_one_resource()
    {
        var system = "http://example.org/mrn";
        var value = Fhir.Unique("mrn");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            var node = i % 2 == 0 ? NodeA : NodeB;
            var patient = new Patient { Identifier = [new Identifier(system, value)] };
            using var request = Fhir.Request(HttpMethod.Post, $"{node.BaseUrl}/Patient", Fhir.JsonContent(patient), ("If-None-Exist", $"identifier={system}|{value}"));
            using var response = await _client.SendAsync(request);
            return response.StatusCode;
        }));

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Single(Fhir.MatchIds(await _client.GetResourceAsync<Bundle>($"{NodeB.BaseUrl}/Patient?identifier={system}|{value}")));
    }

    private async Task<T> CreateAsync<T>(ServerProcess node, T resource)
        where T : Resource
    {
        using var response = await _client.PostAsync($"{node.BaseUrl}/{resource.TypeName}", Fhir.JsonContent(resource));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        return await Fhir.ReadAsync<T>(response);
    }
}
