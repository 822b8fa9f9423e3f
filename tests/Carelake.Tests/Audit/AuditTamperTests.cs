using System.Data.Common;
using Carelake.Audit;
using Carelake.Core.Audit;
using Carelake.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Carelake.Tests.Audit;

/// <summary>
/// Issue 7 acceptance: direct tampering with the database — a record updated, deleted, two swapped, the newest cut
/// off — is detected by the real <c>carelake audit verify</c> process, which names the first bad position and
/// exits non-zero. The tampering is done as an attacker with database access would: guard triggers removed first.
/// </summary>
public sealed class AuditTamperTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new TestServer();
        await _server.InitializeAsync();
        for (var i = 0; i < 5; i++)
        {
            (await _server.Client.GetAsync("Patient?_count=1")).Dispose();
        }

        await _server.Provider.GetRequiredService<AuditTrail>().CheckpointAsync(CancellationToken.None);
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task An_untouched_trail_verifies()
    {
        var (exitCode, output) = await VerifyAsync();

        Assert.True(exitCode == 0, output);
        Assert.Contains("intact: 5 records, positions 1–5, 1 signed checkpoint", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_updated_record_is_detected_at_its_position()
    {
        await TamperAsync(
            "UPDATE audit_event SET payload = CAST(REPLACE(CAST(payload AS TEXT), 'anonymous/dev', 'somebody/else') AS BLOB) WHERE seq = 3",
            "UPDATE audit_event SET payload = convert_to(replace(convert_from(payload, 'UTF8'), 'anonymous/dev', 'somebody/else'), 'UTF8') WHERE seq = 3");

        var (exitCode, output) = await VerifyAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("first bad position 3", output, StringComparison.Ordinal);
        Assert.Contains("altered", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_record_is_detected_at_its_position()
    {
        const string sql = "DELETE FROM audit_event WHERE seq = 2";
        await TamperAsync(sql, sql);

        var (exitCode, output) = await VerifyAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("first bad position 2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_swapped_records_are_detected_at_the_first_of_them()
    {
        const string sql =
            "UPDATE audit_event SET seq = -2 WHERE seq = 2; UPDATE audit_event SET seq = 2 WHERE seq = 4; UPDATE audit_event SET seq = 4 WHERE seq = -2";
        await TamperAsync(sql, sql);

        var (exitCode, output) = await VerifyAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("first bad position 2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cutting_off_the_newest_records_is_detected_by_the_signed_checkpoint()
    {
        const string sql = "DELETE FROM audit_posting WHERE first_seq >= 4; DELETE FROM audit_event WHERE seq >= 4";
        await TamperAsync(sql, sql);

        var (exitCode, output) = await VerifyAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("first bad position 4", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_removed_to_hide_a_record_from_queries_is_detected()
    {
        // The attacker rewrites the posting of the record's subtype without position 5 (the other records keep it).
        await TamperAsync(string.Empty, string.Empty);
        await using (var connection = await OpenAsync())
        {
            await RemovePositionAsync(connection, "subtype", 5);
        }

        var (exitCode, output) = await VerifyAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("first bad position 5", output, StringComparison.Ordinal);
        Assert.Contains("search keys", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_added_to_put_a_record_into_another_patients_queries_is_detected()
    {
        const string sql = "INSERT INTO audit_posting (kind, value, first_seq, last_seq, more) VALUES ('patient', 'Patient/someone-else', 3, 3, NULL)";
        await TamperAsync(sql, sql);

        var (exitCode, output) = await VerifyAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("first bad position 3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_naming_a_position_without_a_record_is_detected()
    {
        const string sql = "INSERT INTO audit_posting (kind, value, first_seq, last_seq, more) VALUES ('patient', 'Patient/someone-else', 900, 900, NULL)";
        await TamperAsync(sql, sql);

        var (exitCode, output) = await VerifyAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("first bad position 900", output, StringComparison.Ordinal);
        Assert.Contains("inserted keys", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_database_refuses_update_and_delete_of_audit_records()
    {
        // A record after the newest checkpoint: on SQLite only checkpointed records may leave (retention).
        (await _server.Client.GetAsync("Patient?_count=1")).Dispose();
        await _server.Services.AuditLog.HeadAsync(CancellationToken.None); // chains the journaled read record
        await using var connection = await OpenAsync();
        foreach (var sql in new[] { "UPDATE audit_event SET recorded = 0 WHERE seq = 1", "DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event)", "DELETE FROM audit_checkpoint" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await Assert.ThrowsAnyAsync<DbException>(() => command.ExecuteNonQueryAsync());
        }
    }

    private async Task<(int ExitCode, string Output)> VerifyAsync() =>
        _server.ConnectionString is { } connectionString
            ? await ServerProcess.RunCliAsync("audit", "verify", "--database", connectionString, "--key-file", Path.Combine(_server.DataDir, "audit-signing-key.pem"))
            : await ServerProcess.RunCliAsync("audit", "verify", "--data-dir", _server.DataDir);

    private async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = _server.ConnectionString is { } connectionString
            ? new NpgsqlConnection(connectionString)
            : new SqliteConnection($"Data Source={Path.Combine(_server.DataDir, "carelake.db")};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    private async Task TamperAsync(string sqlite, string postgres)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = _server.ConnectionString is null
            ? "PRAGMA busy_timeout = 30000; DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_posting_no_update; DROP TRIGGER audit_event_no_delete; DROP TRIGGER audit_posting_no_delete; " + sqlite
            : "ALTER TABLE audit_event DISABLE TRIGGER USER; ALTER TABLE audit_posting DISABLE TRIGGER USER; " + postgres;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Rewrites the posting of <paramref name="kind"/> that names <paramref name="position"/> without it.</summary>
    private static async Task RemovePositionAsync(DbConnection connection, string kind, long position)
    {
        var postings = new List<(string Value, long First, List<long> Positions)>();
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT value, first_seq, more FROM audit_posting WHERE kind = @kind AND first_seq <= @position AND last_seq >= @position";
            AddParameter(select, "kind", kind);
            AddParameter(select, "position", position);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var more = reader.IsDBNull(2) ? null : (byte[])reader.GetValue(2);
                postings.Add((reader.GetString(0), reader.GetInt64(1), AuditPostingBuilder.Positions(reader.GetInt64(1), more)));
            }
        }

        var (value, first, positions) = Assert.Single(postings, p => p.Positions.Contains(position));
        positions.Remove(position);
        var gaps = new List<byte>();
        for (var i = 1; i < positions.Count; i++)
        {
            for (var gap = (ulong)(positions[i] - positions[i - 1]); ; gap >>= 7)
            {
                gaps.Add((byte)(gap < 0x80 ? gap : (gap & 0x7F) | 0x80));
                if (gap < 0x80)
                {
                    break;
                }
            }
        }

        await using var update = connection.CreateCommand();
        update.CommandText = positions.Count == 0
            ? "DELETE FROM audit_posting WHERE kind = @kind AND value = @value AND first_seq = @first"
            : "UPDATE audit_posting SET first_seq = @newFirst, last_seq = @newLast, more = @more WHERE kind = @kind AND value = @value AND first_seq = @first";
        AddParameter(update, "kind", kind);
        AddParameter(update, "value", value);
        AddParameter(update, "first", first);
        AddParameter(update, "newFirst", positions.Count == 0 ? 0L : positions[0]);
        AddParameter(update, "newLast", positions.Count == 0 ? 0L : positions[^1]);
        AddParameter(update, "more", gaps.Count == 0 ? DBNull.Value : gaps.ToArray());
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
