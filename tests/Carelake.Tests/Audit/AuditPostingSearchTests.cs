using System.Data.Common;
using Carelake.Core.Audit;
using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Npgsql;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// The audit trail's keys are stored as postings (one row per key per chaining transaction): searches over many
/// transactions must find exactly the records a scan of every record's own keys finds — any value of a parameter,
/// every parameter, date bounds, paging both ways — and a trail written with the earlier one-row-per-key layout
/// must still verify and be found after the migration.
/// </summary>
public sealed class AuditPostingSearchTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Patients = [.. Enumerable.Range(0, 12).Select(i => $"p-{i}")];
    private static readonly string[] Subtypes = ["read", "search-type", "vread"];
    private readonly TestServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Key_searches_over_many_chaining_transactions_find_what_a_scan_of_every_record_finds()
    {
        await WriteRecordsAsync(_server.Services, new Random(7), transactions: 30);
        var log = _server.Services.AuditLog;
        var all = await AllAsync(log);
        Assert.True(all.Count >= 100, $"only {all.Count} records");
        var middle = all[all.Count / 2];

        var queries = new List<AuditQuery>
        {
            Query(("patient", ["Patient/p-3"])),
            Query(("patient", ["Patient/p-3", "Patient/p-7"])),
            Query(("patient", ["Patient/p-3"]), ("subtype", ["read"])),
            Query(("patient", ["Patient/p-1", "Patient/p-2"]), ("subtype", ["read", "vread"]), ("outcome", ["4"])),
            Query(("subtype", ["search-type"])),
            Query(("agent", ["Practitioner/dr-2"]), ("entity", ["Patient/p-5"])),
            Query(("patient", ["Patient/nobody"])),
            Query(("patient", ["Patient/p-4"])) with { RecordedFrom = Start.AddHours(20).UtcTicks, RecordedTo = Start.AddHours(80).UtcTicks },
            Query(("subtype", ["read"])) with { Count = 7, OldestFirst = true, After = middle.Seq },
            Query(("subtype", ["read"])) with { Count = 7, Before = middle.Seq },
            Query(("patient", ["Patient/p-0"])) with { Count = 3 },
            Query(("type", ["rest"])) with { RecordedFrom = Start.AddHours(500).UtcTicks },
        };

        foreach (var query in queries)
        {
            var expected = all.Where(r => Matches(r, query)).Select(r => r.Seq);
            expected = query.OldestFirst ? expected.Order() : expected.OrderDescending();
            var found = await log.SearchAsync(query, CancellationToken.None);
            Assert.Equal(expected.Take(query.Count).ToList(), found.Select(h => h.Seq).ToList());
        }

        Assert.NotEmpty(await log.SearchAsync(queries[2], CancellationToken.None));
    }

    [Fact]
    public async Task A_trail_stored_with_one_row_per_key_is_migrated_and_still_verifies_and_is_found()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "carelake-tests", "audit-postings-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = await TestPostgres.OptionsForAsync(dataDir);
            List<long> before;
            await using (var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, CancellationToken.None))
            {
                await WriteRecordsAsync(services, new Random(11), transactions: 6);
                before = [.. (await services.AuditLog.SearchAsync(Query(("patient", ["Patient/p-2"])), CancellationToken.None)).Select(h => h.Seq)];
            }

            Assert.NotEmpty(before);
            await DowngradeToOneRowPerKeyAsync(options);

            await using (var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, CancellationToken.None))
            {
                var verification = await AuditVerifier.VerifyAsync(services.AuditLog, null, null, CancellationToken.None);
                Assert.True(verification.Intact, verification.Message);
                var after = (await services.AuditLog.SearchAsync(Query(("patient", ["Patient/p-2"])), CancellationToken.None)).Select(h => h.Seq);
                Assert.Equal(before, after);
            }
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private static AuditQuery Query(params (string Kind, IReadOnlyList<string> Values)[] keys) => new(keys, null, null, 10_000, OldestFirst: false, After: null);

    /// <summary>Audited reads and searches by three practitioners over a dozen patients, an hour apart, in transactions of 1–14 records.</summary>
    private static async Task WriteRecordsAsync(CarelakeServices services, Random random, int transactions)
    {
        var hour = 0;
        for (var t = 0; t < transactions; t++)
        {
            var writes = new List<ResourceWrite>();
            for (var i = random.Next(1, 15); i > 0; i--)
            {
                var actor = new AuditActor($"Practitioner/dr-{random.Next(3)}", "clinician", "web-app", "10.0.0.7", null, []);
                var patients = Patients.Where(_ => random.Next(4) == 0).ToArray();
                var subtype = Subtypes[random.Next(Subtypes.Length)];
                var status = random.Next(6) == 0 ? 404 : 200;
                writes.Add(AuditRecords.ToWrite(AuditRecords.Rest(actor, subtype, null, status, Start.AddHours(hour++), [], patients, subtype == "search-type" ? "GET /fhir/Observation?patient=x" : null)));
            }

            await services.AuditStore.Inner.CommitAsync(writes, CancellationToken.None);
        }
    }

    private static async Task<List<(long Seq, long Recorded, IReadOnlyList<(string Kind, string Value)> Keys)>> AllAsync(Carelake.Storage.SearchSql.SqlAuditLog log)
    {
        var hits = await log.SearchAsync(new AuditQuery([], null, null, 100_000, OldestFirst: true, After: null), CancellationToken.None);
        return [.. hits.Select(h => (h.Seq, h.Recorded.UtcTicks, AuditKeys.From((AuditEvent)FhirSerialization.ParseStored(h.Payload)).Keys))];
    }

    private static bool Matches((long Seq, long Recorded, IReadOnlyList<(string Kind, string Value)> Keys) record, AuditQuery query) =>
        query.Keys.All(k => record.Keys.Any(r => r.Kind == k.Kind && k.Values.Contains(r.Value)))
        && (query.RecordedFrom is not { } from || record.Recorded >= from)
        && (query.RecordedTo is not { } to || record.Recorded <= to)
        && (query.After is not { } after || record.Seq > after)
        && (query.Before is not { } upper || record.Seq < upper);

    /// <summary>Rewrites the key index as the earlier migrations left it (audit_key, one row per record and key; SQLite 0011, PostgreSQL 0003).</summary>
    private static async Task DowngradeToOneRowPerKeyAsync(CarelakeOptions options)
    {
        var postgres = options.Database.ConnectionString is not null;
        await using DbConnection connection = postgres
            ? new NpgsqlConnection(options.Database.ConnectionString)
            : new SqliteConnection($"Data Source={options.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var rows = new List<(long Seq, string Kind, string Value)>();
        await using (var select = Command(connection, transaction, "SELECT kind, value, first_seq, more FROM audit_posting"))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var more = reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3);
                rows.AddRange(AuditPostingBuilder.Positions(reader.GetInt64(2), more).Select(p => (p, reader.GetString(0), reader.GetString(1))));
            }
        }

        var schema = $"""
            CREATE TABLE audit_key (seq BIGINT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL);
            CREATE INDEX ix_audit_key_value ON audit_key (kind, value, seq);
            CREATE INDEX ix_audit_key_seq ON audit_key (seq);
            DROP TABLE audit_posting;
            {(postgres ? "DROP FUNCTION audit_posting_append_only();" : string.Empty)}
            DELETE FROM schema_migration WHERE version = {(postgres ? 4 : 12)};
            """;
        await using (var command = Command(connection, transaction, schema))
        {
            await command.ExecuteNonQueryAsync();
        }

        foreach (var (seq, kind, value) in rows)
        {
            await using var insert = Command(connection, transaction, "INSERT INTO audit_key (seq, kind, value) VALUES (@seq, @kind, @value)");
            AddParameter(insert, "seq", seq);
            AddParameter(insert, "kind", kind);
            AddParameter(insert, "value", value);
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
