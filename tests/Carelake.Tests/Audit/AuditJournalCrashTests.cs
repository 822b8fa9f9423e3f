using System.Net;
using System.Text;
using Carelake.Core.Audit;
using Carelake.Storage.SearchSql;
using Carelake.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// SQLite keeps read records in the audit journal until the next transaction chains them (docs/audit.md): every read
/// that got its response must be in the chain after kill -9 and a restart, and the trail must still verify.
/// </summary>
[Trait("Provider", "SqliteOnly")]
public sealed class AuditJournalCrashTests : IDisposable
{
    private readonly TempFolder _dataDir = new("journal-crash-");

    public void Dispose() => _dataDir.Dispose();

    /// <param name="fsync">Carelake:Audit:FsyncReadRecords: false (default) writes the record before the response, true also fsyncs it.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_answered_read_is_in_the_trail_after_SIGKILL_and_a_restart(bool fsync)
    {
        string patient;
        const int reads = 40;
        var environment = new Dictionary<string, string> { ["Carelake__Audit__FsyncReadRecords"] = fsync ? "true" : "false" };
        await using (var server = await ServerProcess.StartAsync(_dataDir.Path, environment, "--dev"))
        {
            using var client = new HttpClient();
            using (var created = await client.PostAsync(server.BaseUrl + "/Patient", new StringContent("""{"resourceType":"Patient","active":true}""", Encoding.UTF8, "application/fhir+json")))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var location = created.Headers.Location!.ToString();
                patient = location.Split('/')[^3];
            }

            for (var i = 0; i < reads; i++)
            {
                using var read = await client.GetAsync($"{server.BaseUrl}/Patient/{patient}");
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }

            // Killed at once: the journal's once-a-second move has (most likely) not chained the reads yet.
            Assert.NotEmpty(Directory.GetFiles(_dataDir.Path, "carelake.db-audit.*"));
            server.Kill();
        }

        var (_, pending) = await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _dataDir.Path);
        Assert.Contains("in the read-record journal", pending, StringComparison.Ordinal);

        await using (var restarted = await ServerProcess.StartAsync(_dataDir.Path, environment, "--dev"))
        {
            // Chained at start, before the server answers; the journal files are gone.
            Assert.Equal(reads, await CountReadsOfAsync(patient));
            Assert.DoesNotContain(Directory.GetFiles(_dataDir.Path, "carelake.db-audit.*"), f => new FileInfo(f).Length > 0);
            Assert.Equal(0, await restarted.TerminateAsync());
        }

        var (exitCode, output) = await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _dataDir.Path);
        Assert.True(exitCode == 0, output);
        Assert.Equal(reads, await CountReadsOfAsync(patient));
    }

    private async Task<int> CountReadsOfAsync(string patient)
    {
        // Through the trail's search (the key postings), as GET AuditEvent?subtype=read&patient=… reads it.
        await using var log = SqlAuditLog.Sqlite(Path.Combine(_dataDir.Path, "carelake.db"));
        var hits = await log.SearchAsync(new AuditQuery([("subtype", ["read"]), ("patient", ["Patient/" + patient])], null, null, 1000, true, null), CancellationToken.None);
        return hits.Count;
    }
}
