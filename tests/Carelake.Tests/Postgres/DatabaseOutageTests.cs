using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Carelake.Tests.Http;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>
/// Issue F4 "users will try": PostgreSQL goes away under a running server (a restart, a crash mid-transaction). The
/// server answers 503 with an OperationOutcome meanwhile (never a 500 or a stack trace), recovers by itself when the
/// database is back, and loses no acknowledged write. These tests stop and start their own PostgreSQL server.
/// </summary>
[Trait("Provider", "PostgresOnly")]
public sealed class DatabaseOutageTests : IAsyncLifetime, IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "carelake-tests", "outage-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(60) };
    private TestPostgres? _postgres;
    private ServerProcess? _server;

    public async Task InitializeAsync()
    {
        _postgres = await TestPostgres.StartAsync();
        var database = await _postgres.CreateDatabaseAsync();
        _server = await ServerProcess.StartAsync(_dataDir, "--database", database + ";Timeout=3");
    }

    public void Dispose() => _client.Dispose();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    [Fact]
    public async Task While_PostgreSQL_restarts_the_server_answers_503_and_then_recovers_without_a_restart()
    {
        var server = _server!;
        var before = await CreateAsync(server.BaseUrl, "Before");

        await _postgres!.StopServerAsync();
        foreach (var (method, url, body) in new[]
        {
            (HttpMethod.Get, $"{server.BaseUrl}/Patient/{before}", (string?)null),
            (HttpMethod.Get, $"{server.BaseUrl}/Patient?family=Before", null),
            (HttpMethod.Post, $"{server.BaseUrl}/Patient", """{"resourceType":"Patient","name":[{"family":"During"}]}"""),
        })
        {
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/fhir+json") };
            using var response = await _client.SendAsync(request);
            await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.ServiceUnavailable);
        }

        using (var ready = await _client.GetAsync(server.BaseUrl.Replace("/fhir", "/readyz", StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        await _postgres.StartServerAsync();
        // Pooled connections to the old server are broken; the first requests may still see 503, then it recovers.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            using var read = await _client.GetAsync($"{server.BaseUrl}/Patient/{before}");
            status = read.StatusCode;
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"Unexpected {(int)status} while recovering.");
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(200);
            }
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
        var after = await CreateAsync(server.BaseUrl, "After");
        Assert.False(server.HasExited);
        using var found = await _client.GetAsync($"{server.BaseUrl}/Patient/{after}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
    }

    [Fact]
    public async Task Killing_PostgreSQL_during_a_stream_of_writes_loses_no_acknowledged_write()
    {
        var server = _server!;
        var acknowledged = new ConcurrentBag<string>();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                // A transaction of several entries, so the crash lands inside multi-statement transactions.
                var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
                for (var e = 0; e < 5; e++)
                {
                    bundle.Entry.Add(new Bundle.EntryComponent
                    {
                        FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                        Resource = new Patient { Name = [new HumanName { Family = $"Outage{worker}", Given = [$"N{i}-{e}"] }] },
                        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
                    });
                }

                using var response = await _client.PostAsync(server.BaseUrl, Fhir.JsonContent(bundle));
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var result = Fhir.Parse<Bundle>(await response.Content.ReadAsStringAsync());
                    foreach (var entry in result.Entry)
                    {
                        var location = entry.Response!.Location!;
                        acknowledged.Add(location[..location.IndexOf("/_history", StringComparison.Ordinal)]);
                    }
                }
                else
                {
                    await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.ServiceUnavailable);
                    await Task.Delay(50);
                }
            }
        })).ToList();

        await Task.Delay(1500);
        await _postgres!.KillServerAsync();
        await Task.Delay(1500);
        await _postgres.StartServerAsync();
        await Task.Delay(3000);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) > 1, "Writes went through before the crash and after the restart.");
        foreach (var path in acknowledged)
        {
            using var read = await _client.GetAsync($"{server.BaseUrl}/{path}");
            Assert.True(read.StatusCode == HttpStatusCode.OK, $"Acknowledged {path} is {(int)read.StatusCode} after the crash.");
        }
    }

    private async Task<string> CreateAsync(string baseUrl, string family)
    {
        using var response = await _client.PostAsync($"{baseUrl}/Patient", Fhir.JsonContent(new Patient { Name = [new HumanName { Family = family }] }));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        return (await Fhir.ReadAsync<Patient>(response)).Id!;
    }
}
