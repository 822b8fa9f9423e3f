using System.Net;
using System.Text;
using Carelake.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// SQLite keeps read records in the audit journal until the next transaction chains them (docs/audit.md): every read
/// that got its response must be in the chain after kill -9 and a restart, and the trail must still verify.
/// </summary>
[Trait("Provider", "SqliteOnly")]
public sealed class AuditJournalCrashTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "carelake-tests", "journal-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Every_answered_read_is_in_the_trail_after_SIGKILL_and_a_restart()
    {
        string patient;
        const int reads = 40;
        await using (var server = await ServerProcess.StartAsync(_dataDir, "--dev"))
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
            Assert.NotEmpty(Directory.GetFiles(_dataDir, "carelake.db-audit.*"));
            server.Kill();
        }

        var (_, pending) = await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _dataDir);
        Assert.Contains("in the read-record journal", pending, StringComparison.Ordinal);

        await using (var restarted = await ServerProcess.StartAsync(_dataDir, "--dev"))
        {
            // Chained at start, before the server answers; the journal files are gone.
            Assert.Equal(reads, CountReadsOf(patient));
            Assert.DoesNotContain(Directory.GetFiles(_dataDir, "carelake.db-audit.*"), f => new FileInfo(f).Length > 0);
            Assert.Equal(0, await restarted.TerminateAsync());
        }

        var (exitCode, output) = await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _dataDir);
        Assert.True(exitCode == 0, output);
        Assert.Equal(reads, CountReadsOf(patient));
    }

    private long CountReadsOf(string patient)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "carelake.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT count(*) FROM audit_key s JOIN audit_key p ON p.seq = s.seq
            WHERE s.kind = 'subtype' AND s.value = 'read' AND p.kind = 'patient' AND p.value = $patient
            """;
        command.Parameters.AddWithValue("$patient", "Patient/" + patient);
        return (long)command.ExecuteScalar()!;
    }
}
