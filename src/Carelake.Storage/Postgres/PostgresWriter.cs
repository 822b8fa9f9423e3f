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

    public Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken)
    {
        // The auditing store appends the unit's audit record last; it is chained in the same transaction.
        var data = PostgresAuditAppender.DataWrites(writes);
        return WithRetryAsync(
            async (connection, transaction, ct) =>
            {
                if (data.Count == 0 && options.AuditOnlyWithoutFsync)
                {
                    await using var relax = new NpgsqlCommand("SET LOCAL synchronous_commit = off", connection, transaction);
                    await relax.ExecuteNonQueryAsync(ct);
                }

                var result = data.Count == 0 ? CommitResult.Success
                    : await (CanApplyAsBatch(data) ? ApplyBatchAsync(connection, transaction, data, ct) : ApplyAsync(connection, transaction, data, ct));
                if (result.Succeeded)
                {
                    await PostgresAuditAppender.AppendAsync(connection, transaction, writes, ct);
                }

                return result;
            },
            cancellationToken);
    }

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

    /// <summary>
    /// Units of several writes without conditional creates and without a resource written twice (import batches,
    /// most transaction Bundles) are written set-wise: a handful of round trips for the whole unit instead of a few
    /// per resource. The others go resource by resource, in order (<see cref="ApplyAsync"/>).
    /// </summary>
    private static bool CanApplyAsBatch(IReadOnlyList<ResourceWrite> writes) =>
        writes.Count > 1 && writes.All(w => w.IfNoneExist is null) && writes.Select(w => (w.Type, w.Id)).Distinct().Count() == writes.Count;

    private async Task<CommitResult> ApplyBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken)
    {
        // 1. Lock every existing resource of the unit and read its version (sid order: a consistent lock order).
        var current = new Dictionary<(string Type, string Id), (long Sid, long Version)>();
        await using (var select = new NpgsqlCommand(
            "SELECT r.type, r.id, r.sid, r.version FROM resource r JOIN unnest(@types, @ids) AS k(type, id) ON r.type = k.type AND r.id = k.id ORDER BY r.sid FOR UPDATE OF r",
            connection, transaction))
        {
            select.Parameters.AddWithValue("types", writes.Select(w => w.Type).ToArray());
            select.Parameters.AddWithValue("ids", writes.Select(w => w.Id).ToArray());
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                current[(reader.GetString(0), reader.GetString(1))] = (reader.GetInt64(2), reader.GetInt64(3));
            }
        }

        // 2. Every version check, in order: the first that fails decides the result and nothing is written.
        for (var i = 0; i < writes.Count; i++)
        {
            var version = current.TryGetValue((writes[i].Type, writes[i].Id), out var found) ? found.Version : 0;
            if (version != writes[i].ExpectedCurrentVersion || writes[i].Version != version + 1)
            {
                return new CommitResult(i, version);
            }
        }

        // 3. New resources: one INSERT for the resource rows (racing creators lose on the unique key), one for versions.
        var creates = writes.Where(w => !current.ContainsKey((w.Type, w.Id))).ToList();
        var sids = new Dictionary<(string Type, string Id), long>();
        if (creates.Count > 0)
        {
            var rids = new Dictionary<(string Type, string Id), long>();
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO resource (type, id, version, rid, deleted, last_updated) " +
                "SELECT type, id, version, nextval(pg_get_serial_sequence('resource_version', 'rid')), deleted, ticks FROM unnest(@types, @ids, @versions, @deleted, @ticks) AS u(type, id, version, deleted, ticks) " +
                "ON CONFLICT (type, id) DO NOTHING RETURNING type, id, sid, rid",
                connection, transaction))
            {
                insert.Parameters.AddWithValue("types", creates.Select(w => w.Type).ToArray());
                insert.Parameters.AddWithValue("ids", creates.Select(w => w.Id).ToArray());
                insert.Parameters.AddWithValue("versions", creates.Select(w => w.Version).ToArray());
                insert.Parameters.AddWithValue("deleted", creates.Select(w => (short)(w.Json is null ? 1 : 0)).ToArray());
                insert.Parameters.AddWithValue("ticks", creates.Select(w => w.LastUpdated.UtcTicks).ToArray());
                await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    sids[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
                    rids[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(3);
                }
            }

            if (sids.Count < creates.Count)
            {
                // Another transaction created one of them since step 1 and committed: that write's version conflict.
                var lost = creates.First(w => !sids.ContainsKey((w.Type, w.Id)));
                var (_, actual) = await ReadCurrentAsync(connection, transaction, lost.Type, lost.Id, cancellationToken);
                return new CommitResult(writes.ToList().IndexOf(lost), actual);
            }

            await using var versions = new NpgsqlCommand(
                "INSERT INTO resource_version (rid, sid, version, last_updated, method, payload) SELECT * FROM unnest(@rids, @sids, @versions, @ticks, @methods, @payloads)",
                connection, transaction);
            versions.Parameters.AddWithValue("rids", creates.Select(w => rids[(w.Type, w.Id)]).ToArray());
            versions.Parameters.AddWithValue("sids", creates.Select(w => sids[(w.Type, w.Id)]).ToArray());
            versions.Parameters.AddWithValue("versions", creates.Select(w => w.Version).ToArray());
            versions.Parameters.AddWithValue("ticks", creates.Select(w => w.LastUpdated.UtcTicks).ToArray());
            versions.Parameters.AddWithValue("methods", creates.Select(w => w.Method).ToArray());
            versions.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea) { Value = creates.Select(w => w.Json).ToArray() });
            await versions.ExecuteNonQueryAsync(cancellationToken);
        }

        // 4. Updates of locked resources cannot fail their check any more: their statements go in one batch.
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (var write in writes.Where(w => current.ContainsKey((w.Type, w.Id))))
            {
                var sid = current[(write.Type, write.Id)].Sid;
                sids[(write.Type, write.Id)] = sid;
                var (low, high) = PostgresIndexRows.ContainedRange(sid);
                batch.BatchCommands.Add(BatchCommand(PostgresIndexRows.DeleteSql, ("sid", sid), ("low", low), ("high", high)));
                batch.BatchCommands.Add(BatchCommand(InsertVersionSql,
                    ("sid", sid), ("version", write.Version), ("deleted", (short)(write.Json is null ? 1 : 0)), ("ticks", write.LastUpdated.UtcTicks), ("method", write.Method), ("payload", write.Json)));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        // 5. Index rows of the whole unit (binary COPY when there are many).
        var rows = new PostgresIndexRows();
        foreach (var write in writes.Where(w => w.Json is not null))
        {
            rows.Add(sids[(write.Type, write.Id)], write.LastUpdated.UtcTicks, write.Indexes);
        }

        await rows.FlushAsync(connection, transaction, options.CopyThreshold, cancellationToken);
        return CommitResult.Success;
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
        command.Parameters.AddRange(parameters.Select(Parameter).ToArray());
        return command;
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters.Select(Parameter).ToArray());
        return command;
    }

    // The payload is typed explicitly: a deletion's NULL would otherwise be an untyped (text) NULL.
    private static NpgsqlParameter Parameter((string Name, object? Value) parameter) => parameter.Name == "payload"
        ? new NpgsqlParameter(parameter.Name, NpgsqlTypes.NpgsqlDbType.Bytea) { Value = parameter.Value ?? DBNull.Value }
        : new NpgsqlParameter(parameter.Name, parameter.Value ?? DBNull.Value);
}
