using System.Text.Json;
using Carelake.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary><c>carelake compliance report</c> against a real data folder: the checks, their verdicts, the exit code.</summary>
public sealed class ComplianceReportCliTests : IAsyncLifetime
{
    private static readonly string[] AllChecks = ["unique-user-ids", "emergency-access", "automatic-logoff", "encryption-at-rest", "audit-controls", "integrity", "authentication", "transmission-security"];

    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), "carelake-tests", "keys-" + Guid.NewGuid().ToString("N"), "audit-signing-key.pem");
    private readonly TestServer _server;

    public ComplianceReportCliTests() => _server = new TestServer { Configure = o => o.Audit.KeyFile = _keyFile };

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_keyFile)!, recursive: true);
    }

    [Fact]
    public async Task Report_checks_every_safeguard_passes_the_verified_signed_trail_and_exits_1_on_a_failure()
    {
        (await _server.Client.GetAsync("Patient?_count=1")).Dispose();
        await _server.Provider.GetRequiredService<Carelake.Audit.AuditTrail>().CheckpointAsync(CancellationToken.None);

        var (exitCode, output) = await RunAsync("--json");

        Assert.True(exitCode == 1, output);
        using var report = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        Assert.False(report.RootElement.GetProperty("passed").GetBoolean());
        var checks = report.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c);
        Assert.Equal(AllChecks.Order(), checks.Keys.Order());
        Assert.True(checks["audit-controls"].GetProperty("passed").GetBoolean(), checks["audit-controls"].GetProperty("finding").GetString());
        // The read-record guarantee in force is stated (the default: written before the response, flushed soon after).
        Assert.Contains("Carelake:Audit:FsyncReadRecords=true to make each response wait", checks["audit-controls"].GetProperty("finding").GetString(), StringComparison.Ordinal);
        Assert.True(checks["integrity"].GetProperty("passed").GetBoolean(), checks["integrity"].GetProperty("finding").GetString());
        // The test server runs --dev over plain HTTP on an unencrypted file: these must fail, each with a remediation.
        foreach (var failing in new[] { "unique-user-ids", "encryption-at-rest", "authentication" })
        {
            Assert.False(checks[failing].GetProperty("passed").GetBoolean(), failing);
            Assert.NotEqual("None.", checks[failing].GetProperty("remediation").GetString());
        }

        var (textExit, text) = await RunAsync();
        Assert.Equal(1, textExit);
        Assert.Contains("PASS  audit-controls", text, StringComparison.Ordinal);
        Assert.Contains("FAIL  encryption-at-rest", text, StringComparison.Ordinal);
        Assert.Contains("Remediation:", text, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output)> RunAsync(params string[] extra) =>
        _server.ConnectionString is { } connectionString
            ? ServerProcess.RunCliAsync(["compliance", "report", "--dev", "--database", connectionString, "--data-dir", _server.DataDir, "--key-file", _keyFile, .. extra])
            : ServerProcess.RunCliAsync(["compliance", "report", "--dev", "--data-dir", _server.DataDir, "--key-file", _keyFile, .. extra]);
}
