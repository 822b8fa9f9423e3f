using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Carelake.Core.Audit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// The audit trail's reads, search, checkpoints and retention, in SQL both providers accept. Its own connections:
/// the CLI (verify, export) opens a database without starting the resource store.
/// </summary>
public sealed class SqlAuditLog : IAuditLog, IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<DbConnection>> _open;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly bool _postgres;
    private IAuditOutbox? _outbox;

    private SqlAuditLog(Func<CancellationToken, Task<DbConnection>> open, NpgsqlDataSource? dataSource)
    {
        _open = open;
        _dataSource = dataSource;
        _postgres = dataSource is not null;
    }

    /// <param name="outbox">The store's outbox of read records: moved into the chain before the trail is read, so a query sees every committed record.</param>
    public static SqlAuditLog Sqlite(string path, IAuditOutbox? outbox = null)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 }.ToString();
        return new SqlAuditLog(
            async ct =>
            {
                var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync(ct);
                await using var busy = connection.CreateCommand();
                busy.CommandText = "PRAGMA busy_timeout = 30000";
                await busy.ExecuteNonQueryAsync(ct);
                return connection;
            },
            null) { _outbox = outbox };
    }

    private Task FlushAsync(CancellationToken cancellationToken) => _outbox?.FlushAuditOutboxAsync(cancellationToken) ?? Task.CompletedTask;

    public static SqlAuditLog Postgres(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        return new SqlAuditLog(async ct => await dataSource.OpenConnectionAsync(ct), dataSource);
    }

    public async Task<(long Seq, byte[] Hash)?> HeadAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), Bytes(reader, 1)) : null;
    }

    public async IAsyncEnumerable<AuditChainRow> ReadChainAsync(long fromSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        // Two cursors in position order, merged: records and their keys.
        await using var eventConnection = await _open(cancellationToken);
        await using var keyConnection = await _open(cancellationToken);
        await using var events = Command(eventConnection, "SELECT seq, id, payload, prev_hash, hash FROM audit_event WHERE seq >= @from ORDER BY seq", ("from", fromSeq));
        await using var keys = Command(keyConnection, "SELECT seq, kind, value FROM audit_key WHERE seq >= @from ORDER BY seq, kind, value", ("from", fromSeq));
        await using var eventReader = await events.ExecuteReaderAsync(cancellationToken);
        await using var keyReader = await keys.ExecuteReaderAsync(cancellationToken);
        var hasKey = await keyReader.ReadAsync(cancellationToken);
        while (await eventReader.ReadAsync(cancellationToken))
        {
            var seq = eventReader.GetInt64(0);
            var rowKeys = new List<(string, string)>();
            while (hasKey && keyReader.GetInt64(0) <= seq)
            {
                if (keyReader.GetInt64(0) == seq)
                {
                    rowKeys.Add((keyReader.GetString(1), keyReader.GetString(2)));
                }

                hasKey = await keyReader.ReadAsync(cancellationToken);
            }

            yield return new AuditChainRow(seq, eventReader.GetString(1), Bytes(eventReader, 2), Bytes(eventReader, 3), Bytes(eventReader, 4), rowKeys);
        }
    }

    public async Task<long?> FirstOrphanKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, "SELECT MIN(k.seq) FROM audit_key k LEFT JOIN audit_event e ON e.seq = k.seq WHERE e.seq IS NULL");
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    public async Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, "SELECT seq, hash, created, key_id, signature FROM audit_checkpoint ORDER BY seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var checkpoints = new List<AuditCheckpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(new AuditCheckpoint(reader.GetInt64(0), Bytes(reader, 1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), reader.GetString(3), Bytes(reader, 4)));
        }

        return checkpoints;
    }

    public async Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken);
        // Several nodes may checkpoint the same head: the first one stands.
        await using var command = Command(
            connection,
            "INSERT INTO audit_checkpoint (seq, hash, created, key_id, signature) VALUES (@seq, @hash, @created, @key, @signature) ON CONFLICT (seq) DO NOTHING",
            ("seq", checkpoint.Seq),
            ("hash", checkpoint.Hash),
            ("created", checkpoint.Created.UtcTicks),
            ("key", checkpoint.KeyId),
            ("signature", checkpoint.Signature));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditHit>> SearchAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        var sql = new StringBuilder("SELECT e.seq, e.id, e.recorded, e.payload FROM audit_event e WHERE 1 = 1");
        var parameters = new List<(string, object)>();
        for (var g = 0; g < query.Keys.Count; g++)
        {
            var (kind, values) = query.Keys[g];
            // Driven by the key index: "every access to patient X in a year" reads that patient's rows only.
            sql.Append(CultureInfo.InvariantCulture, $" AND e.seq IN (SELECT k.seq FROM audit_key k WHERE k.kind = @k{g} AND k.value IN (");
            parameters.Add(($"k{g}", kind));
            for (var v = 0; v < values.Count; v++)
            {
                sql.Append(v == 0 ? string.Empty : ", ").Append(CultureInfo.InvariantCulture, $"@k{g}v{v}");
                parameters.Add(($"k{g}v{v}", values[v]));
            }

            sql.Append("))");
        }

        if (query.RecordedFrom is { } from)
        {
            sql.Append(" AND e.recorded >= @from");
            parameters.Add(("from", from));
        }

        if (query.RecordedTo is { } to)
        {
            sql.Append(" AND e.recorded <= @to");
            parameters.Add(("to", to));
        }

        if (query.After is { } after)
        {
            sql.Append(" AND e.seq > @after");
            parameters.Add(("after", after));
        }

        if (query.Before is { } before)
        {
            sql.Append(" AND e.seq < @before");
            parameters.Add(("before", before));
        }

        sql.Append(query.OldestFirst ? " ORDER BY e.seq ASC" : " ORDER BY e.seq DESC").Append(" LIMIT @count");
        parameters.Add(("count", query.Count));
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, sql.ToString(), [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var hits = new List<AuditHit>();
        while (await reader.ReadAsync(cancellationToken))
        {
            hits.Add(new AuditHit(reader.GetInt64(0), reader.GetString(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), Bytes(reader, 3)));
        }

        return hits;
    }

    public async Task<AuditHit?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, "SELECT seq, id, recorded, payload FROM audit_event WHERE id = @id", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new AuditHit(reader.GetInt64(0), reader.GetString(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), Bytes(reader, 3))
            : null;
    }

    public async Task<long> PruneAsync(long throughSeq, CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (_postgres)
        {
            await using var allow = Command(connection, "SET LOCAL carelake.audit_prune = 'on'");
            allow.Transaction = transaction;
            await allow.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var keys = Command(connection, "DELETE FROM audit_key WHERE seq <= @seq", ("seq", throughSeq));
        keys.Transaction = transaction;
        await keys.ExecuteNonQueryAsync(cancellationToken);
        await using var events = Command(connection, "DELETE FROM audit_event WHERE seq <= @seq", ("seq", throughSeq));
        events.Transaction = transaction;
        var removed = await events.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    /// <summary>Bytes as stored; a value whose storage type was changed (by hand, in SQLite) is still read, so verify can report it.</summary>
    private static byte[] Bytes(DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        byte[] bytes => bytes,
        string text => Encoding.UTF8.GetBytes(text),
        _ => [],
    };

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
