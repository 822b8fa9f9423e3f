using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// Carelake:Audit:FsyncReadRecords=true (the default is false, which the rest of the suite runs): every read waits
/// for its record's fsync, and the records still reach the chain in order and verify.
/// </summary>
public sealed class AuditReadCommitTests : IAsyncLifetime
{
    private readonly TestServer _server = new() { Configure = o => o.Audit.FsyncReadRecords = true };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task With_fsync_for_reads_every_read_is_recorded_before_its_response()
    {
        var patient = (await _server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        var head = await AuditTrailReader.HeadAsync(_server);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ => (await _server.Client.GetAsync($"Patient/{patient}")).Dispose()));
        (await _server.Client.PutAsync($"Patient/{patient}", Http.Fhir.JsonContent($$"""{"resourceType":"Patient","id":"{{patient}}","active":false}""", "application/fhir+json"))).Dispose();

        var records = await AuditTrailReader.AfterAsync(_server, head);
        Assert.Equal(20, records.Count(r => r.Subtype[0].Code == "read"));
        Assert.Single(records, r => r.Subtype[0].Code == "update");
        var (exitCode, output) = _server.ConnectionString is { } connectionString
            ? await ServerProcess.RunCliAsync("audit", "verify", "--database", connectionString, "--key-file", Path.Combine(_server.DataDir, "audit-signing-key.pem"))
            : await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _server.DataDir);
        Assert.True(exitCode == 0, output);
    }
}
