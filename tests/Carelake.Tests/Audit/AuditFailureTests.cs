using System.Data.Common;
using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Npgsql;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// The guarantee's other half (docs/audit.md): when the audit record cannot be stored, the data is withheld (503)
/// and a write commits nothing. The audit table is made to refuse inserts with a trigger on the real database (and on
/// SQLite, the journal of read records fails its appends).
/// </summary>
public sealed class AuditFailureTests : IAsyncLifetime
{
    private readonly TestServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task When_the_audit_record_cannot_be_stored_a_read_returns_503_without_the_data()
    {
        var patient = (await _server.Services.Resources.CreateAsync(new Patient { Active = true, BirthDate = "1961-07-04" }, CancellationToken.None)).Id;

        await RefuseAuditInsertsAsync(refuse: true);
        using (var refused = await _server.Client.GetAsync($"Patient/{patient}"))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("\"resourceType\":\"OperationOutcome\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("1961-07-04", body, StringComparison.Ordinal);
        }

        using (var search = await _server.Client.GetAsync("Patient?active=true"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, search.StatusCode);
            Assert.DoesNotContain("1961-07-04", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await RefuseAuditInsertsAsync(refuse: false);
        using var served = await _server.Client.GetAsync($"Patient/{patient}");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);

        // Storage came back without a restart, and the read that was answered is in the trail (on SQLite the journal
        // went on in a new segment after the failed append).
        var reads = await _server.Services.AuditLog.SearchAsync(
            new Carelake.Core.Audit.AuditQuery([("patient", [$"Patient/{patient}"]), ("subtype", ["read"]), ("outcome", ["0"])], null, null, 10, OldestFirst: false, After: null),
            CancellationToken.None);
        Assert.Single(reads);
    }

    [Fact]
    public async Task When_the_audit_record_cannot_be_stored_a_write_commits_nothing()
    {
        var patient = (await _server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;

        await RefuseAuditInsertsAsync(refuse: true);
        using (var update = await _server.Client.PutAsync($"Patient/{patient}", Http.Fhir.JsonContent($$"""{"resourceType":"Patient","id":"{{patient}}","active":false}""", "application/fhir+json")))
        {
            Assert.True((int)update.StatusCode >= 500, $"status {(int)update.StatusCode}");
        }

        using (var create = await _server.Client.PostAsync("Patient", Http.Fhir.JsonContent("""{"resourceType":"Patient","active":true}""", "application/fhir+json")))
        {
            Assert.True((int)create.StatusCode >= 500, $"status {(int)create.StatusCode}");
        }

        await RefuseAuditInsertsAsync(refuse: false);
        var stored = await _server.Services.Store.ReadAsync("Patient", patient, CancellationToken.None);
        Assert.Equal(1, stored!.Version);
        var counts = await _server.Services.Store.CountByTypeAsync(CancellationToken.None);
        Assert.Equal(1, counts["Patient"]);
    }

    private async Task RefuseAuditInsertsAsync(bool refuse)
    {
        DbConnection connection = _server.ConnectionString is { } connectionString
            ? new NpgsqlConnection(connectionString)
            : new SqliteConnection($"Data Source={Path.Combine(_server.DataDir, "carelake.db")};Pooling=False");
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = (_server.ConnectionString is null, refuse) switch
            {
                (true, true) => "PRAGMA busy_timeout = 30000; CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'audit storage unavailable (test)'); END;",
                (true, false) => "PRAGMA busy_timeout = 30000; DROP TRIGGER test_refuse_audit;",
                (false, true) => "CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit storage unavailable (test)'; END $$; " +
                                 "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_refuse_audit();",
                (false, false) => "DROP TRIGGER test_refuse_audit ON audit_event; DROP FUNCTION test_refuse_audit();",
            };
            await command.ExecuteNonQueryAsync();
        }

        if (_server.Services.AuditStore.Inner is Carelake.Storage.Sqlite.SqliteResourceStore sqlite)
        {
            // On SQLite read records go through the audit journal first (docs/audit.md): it fails as a full disk would.
            sqlite.AuditJournal!.FailAppendsForTest = refuse;
        }
    }
}
