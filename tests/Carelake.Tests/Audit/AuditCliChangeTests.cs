using System.Text.Json.Nodes;
using Carelake.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>User and client changes made with the CLI are security events in the trail, like the same changes through /admin.</summary>
public sealed class AuditCliChangeTests : IDisposable
{
    private readonly TempFolder _dataDir = new("cli-audit-");

    public void Dispose() => _dataDir.Dispose();

    [Fact]
    public async Task Users_add_disable_and_clients_add_remove_are_audited_with_the_os_user_as_actor()
    {
        foreach (var args in new[]
        {
            new[] { "users", "add", "nurse", "--role", "clinician", "--data-dir", _dataDir.Path },
            ["users", "disable", "nurse", "--data-dir", _dataDir.Path],
            ["clients", "add", "charts", "--kind", "public", "--redirect-uri", "https://charts.example/callback", "--scopes", "user/*.rs", "--data-dir", _dataDir.Path],
            ["clients", "remove", "charts", "--data-dir", _dataDir.Path],
        })
        {
            var (code, output) = await ServerProcess.RunCliAsync(args);
            Assert.True(code == 0, string.Join(' ', args) + ": " + output);
        }

        var (exitCode, export) = await ServerProcess.RunCliAsync("audit", "export", "--data-dir", _dataDir.Path);
        Assert.True(exitCode == 0, export);
        var changes = export.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonNode.Parse(line)!)
            .Where(e => e["subtype"]![0]!["code"]!.GetValue<string>() == "admin-change")
            .ToList();
        Assert.Equal(["users/nurse", "users/nurse", "clients/charts", "clients/charts"], changes.Select(e => e["entity"]![0]!["what"]!["display"]!.GetValue<string>()));
        Assert.All(changes, e =>
        {
            Assert.Equal("110137", e["type"]!["code"]!.GetValue<string>());
            Assert.StartsWith("cli:", e["agent"]![0]!["who"]!["identifier"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("0", e["outcome"]!.GetValue<string>());
        });
        var (verifyCode, verify) = await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _dataDir.Path);
        Assert.True(verifyCode == 0, verify);
    }
}
