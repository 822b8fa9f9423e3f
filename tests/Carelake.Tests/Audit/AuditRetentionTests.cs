using Carelake.Audit;
using Carelake.Hosting;
using Carelake.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carelake.Tests.Audit;

/// <summary>
/// Retention removes old records only through a signed checkpoint, so the trail that remains still verifies; and
/// the exported NDJSON holds every remaining record, oldest first.
/// </summary>
public sealed class AuditRetentionTests : IAsyncLifetime
{
    private readonly TestServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Pruning_stops_at_a_signed_checkpoint_and_the_rest_still_verifies_and_exports()
    {
        for (var i = 0; i < 3; i++)
        {
            (await _server.Client.GetAsync("Patient?_count=1")).Dispose();
        }

        // Ten days later, with a one-day retention: everything is old, but only what a checkpoint covers may go.
        using var trail = new AuditTrail(_server.Services, _server.Provider.GetRequiredService<CarelakeOptions>(), new Later(TimeSpan.FromDays(10)), NullLogger<AuditTrail>.Instance);
        var checkpoint = await trail.CheckpointAsync(CancellationToken.None);
        Assert.NotNull(checkpoint);
        (await _server.Client.GetAsync("Patient?_count=1")).Dispose();
        (await _server.Client.GetAsync("Patient?_count=1")).Dispose();

        var removed = await trail.ApplyRetentionAsync(1, CancellationToken.None);

        Assert.Equal(checkpoint.Seq, removed);
        var (exitCode, output) = _server.ConnectionString is { } connectionString
            ? await ServerProcess.RunCliAsync("audit", "verify", "--database", connectionString, "--key-file", Path.Combine(_server.DataDir, "audit-signing-key.pem"))
            : await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _server.DataDir);
        Assert.True(exitCode == 0, output);
        Assert.Contains($"positions {checkpoint.Seq + 1}–{checkpoint.Seq + 2}", output, StringComparison.Ordinal);

        var file = Path.Combine(_server.DataDir, "trail.ndjson");
        var export = _server.ConnectionString is { } cs
            ? await ServerProcess.RunCliAsync("audit", "export", "--database", cs, "--out", file)
            : await ServerProcess.RunCliAsync("audit", "export", "--data-dir", _server.DataDir, "--out", file);
        Assert.True(export.ExitCode == 0, export.Output);
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("{\"resourceType\":\"AuditEvent\"", l, StringComparison.Ordinal));
    }

    private sealed class Later(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}
