using Carelake.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// Users will try to turn auditing off (issue S2): the only switch, Carelake:Audit:DisabledForBenchmark, exists to
/// measure auditing's cost and must be refused by every command that touches real data unless --dev is on.
/// </summary>
public sealed class AuditOffSwitchTests : IDisposable
{
    private static readonly Dictionary<string, string> AuditOff = new() { ["Carelake__Audit__DisabledForBenchmark"] = "true" };

    private readonly TempFolder _dataDir = new("audit-off-");

    public void Dispose() => _dataDir.Dispose();

    [Fact]
    public async Task Serve_refuses_to_start_with_auditing_turned_off_outside_dev_mode()
    {
        var (exitCode, output) = await ServerProcess.RunCliAsync(AuditOff, "serve", "--data-dir", _dataDir.Path, "--urls", "http://127.0.0.1:0");

        Assert.True(exitCode == 2, $"exit code {exitCode}; output:\n{output}");
        Assert.Contains("DisabledForBenchmark is accepted only with --dev", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dataDir.Path, "carelake.db")), "the refused server created a database");
    }

    [Fact]
    public async Task Import_refuses_to_run_with_auditing_turned_off_outside_dev_mode()
    {
        var bundle = Path.Combine(_dataDir.Path, "in", "bundle.json");
        Directory.CreateDirectory(Path.GetDirectoryName(bundle)!);
        await File.WriteAllTextAsync(bundle, """{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:6a1c6b52-0d4b-4d8e-9a53-0f3a4c1b2e77","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}}]}""");

        var (exitCode, output) = await ServerProcess.RunCliAsync(AuditOff, "import", Path.GetDirectoryName(bundle)!, "--data-dir", _dataDir.Path);

        Assert.True(exitCode == 2, $"exit code {exitCode}; output:\n{output}");
        Assert.Contains("DisabledForBenchmark is accepted only with --dev", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dataDir.Path, "carelake.db")), "the refused import created a database");
    }
}
