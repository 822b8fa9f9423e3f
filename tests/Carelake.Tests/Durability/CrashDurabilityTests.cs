using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Carelake.Tests.Infrastructure;

namespace Carelake.Tests.Durability;

/// <summary>An acknowledged write (2xx returned) survives kill -9 of the server.</summary>
public sealed class CrashDurabilityTests : IDisposable
{
    private readonly TempFolder _dataDir = new("crash-");

    [Fact]
    public async Task Every_acknowledged_create_is_readable_after_SIGKILL_during_a_stream_of_creates()
    {
        var acknowledged = new ConcurrentBag<string>();
        var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var body = $$"""{"resourceType":"Patient","name":[{"family":"Crash{{worker}}","given":["N{{i}}"]}]}""";
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
                    using var response = await client.PostAsync(server.BaseUrl + "/Patient", content);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        // Only what the server acknowledged counts; the Location names the created version.
                        var location = response.Headers.Location!.ToString();
                        var path = location[(location.IndexOf("/Patient/", StringComparison.Ordinal) + 1)..];
                        acknowledged.Add(path[..path.IndexOf("/_history", StringComparison.Ordinal)]);
                    }
                }
                catch (HttpRequestException)
                {
                    return; // the server is gone
                }
                catch (TaskCanceledException)
                {
                    return;
                }
            }
        })).ToArray();

        // Let a steady stream of creates run, then kill the process in the middle of it.
        while (acknowledged.Count < 300)
        {
            await Task.Delay(20);
        }

        server.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        await server.DisposeAsync();

        var ids = acknowledged.ToArray();
        Assert.True(ids.Length >= 300);

        await using var restarted = await ServerProcess.StartAsync(_dataDir.Path, "--dev");
        var missing = new List<string>();
        foreach (var id in ids)
        {
            using var response = await client.GetAsync($"{restarted.BaseUrl}/{id}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                missing.Add($"{id}: {(int)response.StatusCode}");
            }
        }

        Assert.Empty(missing);
    }

    public void Dispose() => _dataDir.Dispose();
}
