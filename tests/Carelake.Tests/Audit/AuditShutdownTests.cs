using Carelake.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>SIGTERM: the server signs its shutdown checkpoint before the process exits (docs/audit.md, "Signed checkpoints").</summary>
public sealed class AuditShutdownTests : IDisposable
{
    private readonly TempFolder _dataDir = new("shutdown-");

    public void Dispose() => _dataDir.Dispose();

    [Fact]
    public async Task SIGTERM_signs_the_head_of_the_trail_before_the_process_exits()
    {
        await using (var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev"))
        {
            using var client = new HttpClient();
            for (var i = 0; i < 3; i++)
            {
                (await client.GetAsync(server.BaseUrl + "/Patient?_count=1")).Dispose();
            }

            Assert.Equal(0, await server.TerminateAsync());
        }

        // Everything recorded before the shutdown is covered by a signed checkpoint: there is nothing left to sign.
        string[] database = TestPostgres.Enabled ? ["--database", await TestPostgres.DatabaseForAsync(_dataDir.Path)] : [];
        var (exitCode, output) = await ServerProcess.RunCliAsync(["audit", "checkpoint", "--data-dir", _dataDir.Path, .. database]);
        Assert.True(exitCode == 0, output);
        Assert.Contains("Nothing new to sign.", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dataDir.Path, "audit-signing-key.pem.head.json")));
    }
}
