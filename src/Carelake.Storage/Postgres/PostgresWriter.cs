using System.Data;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Storage.SearchSql;
using Npgsql;

namespace Carelake.Storage.Postgres;

/// <summary>
/// Writes on PostgreSQL: one READ COMMITTED transaction per write unit, any number of them at once from any number of
/// nodes. The version check takes the resource's row lock (SELECT … FOR UPDATE), so of two concurrent updates of
/// one version exactly one commits and the other sees the new version and reports a conflict; a create races on the
/// (type, id) unique key; a conditional create holds a transaction-level advisory lock for its condition while it
/// searches and writes. Deadlocks and serialisation failures roll the unit back and retry it whole.
/// </summary>
internal sealed class PostgresWriter(NpgsqlDataSource dataSource, PostgresOptions options)
{
    private const string SelectCurrentSql = "SELECT sid, version FROM resource WHERE type = @type AND id = @id FOR UPDATE";

    // The version row's id comes from its sequence first, so one statement inserts the resource and its first version.
    private const string InsertNewSql =
        "WITH v AS (SELECT nextval(pg_get_serial_sequence('resource_version', 'rid')) AS rid), " +
        "r AS (INSERT INTO resource (type, id, version, rid, deleted, last_updated) SELECT @type, @id, @version, v.rid, @deleted, @ticks FROM v " +
        "ON CONFLICT (type, id) DO NOTHING RETURNING sid, rid) " +
        "INSERT INTO resource_version (rid, sid, version, last_updated, method, payload) SELECT r.rid, r.sid, @version, @ticks, @method, @payload FROM r RETURNING sid";

    private const string InsertVersionSql =
        "WITH v AS (INSERT INTO resource_version (sid, version, last_updated, method, payload) VALUES (@sid, @version, @ticks, @method, @payload) RETURNING rid) " +
        "UPDATE resource SET version = @version, rid = (SELECT rid FROM v), deleted = @deleted, last_updated = @ticks WHERE sid = @sid";

    public Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken) =>
        WithRetryAsync((connection, transaction, ct) => ApplyAsync(connection, transaction, writes, ct), cancellationToken);

    public Task ReplaceIndexesAsync(IReadOnlyList<IndexReplacement> items, CancellationToken cancellationToken) =>
        WithRetryAsync((connection, transaction, ct) => ReplaceAsync(connection, transaction, items, ct), cancellationToken);

    public Task<CommitResult> EraseAsync(string type, string id, CancellationToken cancellationToken) =>
        WithRetryAsync((connection, transaction, ct) => EraseAsync(connection, transaction, type, id, ct), cancellationToken);

    private async Task<CommitResult> WithRetryAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<CommitResult>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
                var result = await work(connection, transaction, cancellationToken);
                if (result.Succeeded)
                {
                    await transaction.CommitAsync(cancellationToken);
                }
                else
                {
                    await transaction.RollbackAsync(cancellationToken);
                }

                return result;
            }
            catch (Exception e) when (PostgresErrors.IsRetryableConflict(e) && attempt < options.MaxWriteAttempts)
            {
                // Two units locked the same resources in opposite orders (a deadlock) or a snapshot conflict: nothing
                // was written; back off a little, with jitter so the two do not collide again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20) * attempt), cancellationToken);
            }
        }
    }

    private async Task<CommitResult> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken)
    {
        var rows = new PostgresIndexRows();
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            var (sid, currentVersion) = await ReadCurrentAsync(connection, transaction, write.Type, write.Id, cancellationToken);
            if (currentVersion != write.ExpectedCurrentVersion || write.Version != currentVersion + 1)
            {
                return new CommitResult(i, currentVersion);
            }

            if (write.IfNoneExist is { } condition)
            {
                // Conditional creates of one type take turns from here to commit: the second one's search runs after
                // the first committed (READ COMMITTED: each statement sees the latest commits) and finds its resource.
                await LockConditionAsync(connection, transaction, write.Type, cancellationToken);
                await rows.FlushAsync(connection, transaction, options.CopyThreshold, cancellationToken);
                if (SqlReads.Matches(connection, transaction, SqlDialect.Postgres, condition))
                {
                    return new CommitResult(i, currentVersion) { ConditionMatched = true };
                }
            }

            var ticks = write.LastUpdated.UtcTicks;
            var deleted = (short)(write.Json is null ? 1 : 0);
            if (sid == 0)
            {
                await using var insert = Command(connection, transaction, InsertNewSql,
                    ("type", write.Type), ("id", write.Id), ("version", write.Version), ("deleted", deleted), ("ticks", ticks), ("method", write.Method), ("payload", write.Json));
                if (await insert.ExecuteScalarAsync(cancellationToken) is not long created)
                {
                    // Another transaction created this (type, id) since our read and has committed: a version conflict.
                    var (_, actual) = await ReadCurrentAsync(connection, transaction, write.Type, write.Id, cancellationToken);
                    return new CommitResult(i, actual);
                }

                sid = created;
            }
            else
            {
                if (rows.Holds(sid))
                {
                    await rows.FlushAsync(connection, transaction, options.CopyThreshold, cancellationToken);
                }

                await DeleteIndexesAsync(connection, transaction, sid, cancellationToken);
                await using var update = Command(connection, transaction, InsertVersionSql,
                    ("sid", sid), ("version", write.Version), ("deleted", deleted), ("ticks", ticks), ("method", write.Method), ("payload", write.Json));
                await update.ExecuteNonQueryAsync(cancellationToken);
            }

            if (write.Json is not null)
            {
                rows.Add(sid, ticks, write.Indexes);
            }
        }

        await rows.FlushAsync(connection, transaction, options.CopyThreshold, cancellationToken);
        return CommitResult.Success;
    }

    private async Task<CommitResult> ReplaceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<IndexReplacement> items, CancellationToken cancellationToken)
    {
        var rows = new PostgresIndexRows();
        foreach (var item in items)
        {
            var (sid, version) = await ReadCurrentAsync(connection, transaction, item.Type, item.Id, cancellationToken);
            if (sid == 0 || version != item.Version)
            {
                continue;
            }

            if (rows.Holds(sid))
            {
                await rows.FlushAsync(connection, transaction, options.CopyThreshold, cancellationToken);
            }

            await DeleteIndexesAsync(connection, transaction, sid, cancellationToken);
            await using var lastUpdated = Command(connection, transaction, "SELECT last_updated FROM resource WHERE sid = @sid", ("sid", sid));
            rows.Add(sid, (long)(await lastUpdated.ExecuteScalarAsync(cancellationToken))!, item.Indexes);
        }

        await rows.FlushAsync(connection, transaction, options.CopyThreshold, cancellationToken);
        return CommitResult.Success;
    }

    /// <summary>
    /// Erasure: every row of the resource is deleted in one transaction. PostgreSQL keeps dead tuples until VACUUM
    /// reclaims them, so the erased rows are vacuumed right after the commit (see docs/postgresql.md).
    /// </summary>
    private static async Task<CommitResult> EraseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string type, string id, CancellationToken cancellationToken)
    {
        var (sid, _) = await ReadCurrentAsync(connection, transaction, type, id, cancellationToken);
        if (sid == 0)
        {
            return new CommitResult(-1, 0);
        }

        await DeleteIndexesAsync(connection, transaction, sid, cancellationToken);
        await using var versions = Command(connection, transaction, "DELETE FROM resource_version WHERE sid = @sid", ("sid", sid));
        var removed = await versions.ExecuteNonQueryAsync(cancellationToken);
        await using var resource = Command(connection, transaction, "DELETE FROM resource WHERE sid = @sid", ("sid", sid));
        await resource.ExecuteNonQueryAsync(cancellationToken);
        return new CommitResult(-1, removed);
    }

    private static async Task<(long Sid, long Version)> ReadCurrentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string type, string id, CancellationToken cancellationToken)
    {
        await using var select = Command(connection, transaction, SelectCurrentSql, ("type", type), ("id", id));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    private static async Task DeleteIndexesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long sid, CancellationToken cancellationToken)
    {
        var (low, high) = PostgresIndexRows.ContainedRange(sid);
        await using var delete = Command(connection, transaction, PostgresIndexRows.DeleteSql, ("sid", sid), ("low", low), ("high", high));
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task LockConditionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string type, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", ("key", "carelake:if-none-exist:" + type));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            // The payload is typed explicitly: a deletion's NULL would otherwise be an untyped (text) NULL.
            command.Parameters.Add(name == "payload"
                ? new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Bytea) { Value = value ?? DBNull.Value }
                : new NpgsqlParameter(name, value ?? DBNull.Value));
        }

        return command;
    }
}
