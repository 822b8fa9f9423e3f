using System.Threading.Channels;
using Carelake.Core.Audit;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Storage.SearchSql;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// The single writer of a SQLite database, with group commit. SQLite admits one writer at a time, and each durable
/// commit costs an fsync; so concurrent write units queue here and are committed together: one transaction, one
/// fsync; a unit checks all its preconditions before it writes, so a unit whose version check fails writes nothing.
/// A unit's task completes only after the COMMIT that contains it has returned.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<WriteUnit> _queue = Channel.CreateUnbounded<WriteUnit>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly int _maxUnitsPerCommit;
    private readonly Task _loop;
    private readonly Commands _commands;
    private readonly SqliteAuditAppender _audit;
    private readonly string? _relaxAuditOnlyFrom;
    private readonly SqliteAuditJournal? _journal;
    private SqliteTransaction? _transaction;

    /// <param name="relaxAuditOnlyFrom">The configured synchronous level, when batches of audit records alone may commit without fsync (null: never).</param>
    /// <param name="journal">Journaled audit records to chain at the start of every transaction (null: none).</param>
    public SqliteWriter(SqliteConnection connection, int maxUnitsPerCommit, string? relaxAuditOnlyFrom = null, SqliteAuditJournal? journal = null)
    {
        _relaxAuditOnlyFrom = relaxAuditOnlyFrom;
        _journal = journal;
        _connection = connection;
        _maxUnitsPerCommit = maxUnitsPerCommit;
        _commands = new Commands(connection);
        _audit = new SqliteAuditAppender(connection);
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A unit once queued is committed even if the caller goes away: half-cancelled writes would be worse.
        var unit = new WriteUnit(writes, [], new TaskCompletionSource<CommitResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(unit))
        {
            throw new ObjectDisposedException(nameof(SqliteWriter), "The storage writer is shut down.");
        }

        return unit.Completion.Task;
    }

    public Task ReplaceIndexesAsync(IReadOnlyList<IndexReplacement> items, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var unit = new WriteUnit([], items, new TaskCompletionSource<CommitResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(unit))
        {
            throw new ObjectDisposedException(nameof(SqliteWriter), "The storage writer is shut down.");
        }

        return unit.Completion.Task;
    }

    /// <summary>Removes a resource and all its versions; the result's ActualVersion is the number of versions removed.</summary>
    public Task<CommitResult> EraseAsync(string type, string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var unit = new WriteUnit([], [], new TaskCompletionSource<CommitResult>(TaskCreationOptions.RunContinuationsAsynchronously)) { Erase = (type, id) };
        if (!_queue.Writer.TryWrite(unit))
        {
            throw new ObjectDisposedException(nameof(SqliteWriter), "The storage writer is shut down.");
        }

        return unit.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        // Drain: every queued unit is committed before the connection closes (graceful shutdown).
        _queue.Writer.TryComplete();
        await _loop;
        _commands.Dispose();
        _audit.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteUnit>(_maxUnitsPerCommit);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxUnitsPerCommit && _queue.Reader.TryRead(out var unit))
            {
                batch.Add(unit);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            CommitBatch(batch);
        }
    }

    /// <summary>Posts an empty unit: its transaction chains the journaled audit records (completes after that COMMIT).</summary>
    public Task<CommitResult> ChainJournalAsync() => CommitAsync([], CancellationToken.None);

    private void CommitBatch(List<WriteUnit> batch, bool chainJournal = true)
    {
        var results = new CommitResult[batch.Count];
        var journaled = chainJournal && _journal is not null ? _journal.TakePending() : [];
        var relaxed = _relaxAuditOnlyFrom is not null && batch.TrueForAll(u => u.Erase is null && u.Replacements.Count == 0 && u.Writes.All(w => w.Type == AuditChain.ResourceType));
        if (relaxed)
        {
            // Between transactions: SQLite does not change the level inside one.
            _transaction = null;
            Execute("PRAGMA synchronous = NORMAL");
        }

        try
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            _commands.Bind(transaction);
            _audit.Begin(transaction);
            _transaction = transaction;
            // Records already durable in the journal go first: the chain keeps the order in which records became
            // durable, so a read answered before this unit was queued precedes the unit's own record.
            foreach (var record in journaled)
            {
                _audit.Append(record.Record);
            }

            // No savepoint per unit: a unit checks all its preconditions before it writes anything, so a unit that
            // fails has written nothing. (A savepoint held over a large unit made SQLite walk its whole in-memory
            // sub-journal at the end of every statement: a third of ingest CPU, quadratic in the unit's size.)
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = batch[i].Erase is { } erase ? Erase(erase.Type, erase.Id)
                    : batch[i].Replacements.Count > 0 ? Replace(batch[i].Replacements)
                    : Apply(batch[i].Writes);
            }

            _audit.Flush();
            transaction.Commit();
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            Restore(relaxed);
            _journal?.Return(journaled);
            if (batch.Count > 1 || journaled.Count > 0)
            {
                // One unit's failure (a constraint, a full disk) must not fail its neighbours: retry them one by one,
                // without the journaled records (they stay durable in the journal for a later transaction).
                foreach (var unit in batch)
                {
                    CommitBatch([unit], chainJournal: false);
                }
            }
            else
            {
                batch[0].Completion.TrySetException(e);
            }

            return;
        }

        Restore(relaxed);
        _journal?.Chained(journaled);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }
    }

    private void Restore(bool relaxed)
    {
        if (relaxed)
        {
            _transaction = null;
            Execute($"PRAGMA synchronous = {_relaxAuditOnlyFrom}");
        }
    }

    /// <summary>
    /// Checks every write's expected version and condition against the state before the unit (earlier units of
    /// the batch included), then writes them all; a failed check writes nothing.
    /// </summary>
    private CommitResult Apply(IReadOnlyList<ResourceWrite> writes)
    {
        var sids = new long[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            if (write.Type == AuditChain.ResourceType)
            {
                continue;
            }

            var (sid, currentVersion) = ReadCurrent(write.Type, write.Id);
            if (currentVersion != write.ExpectedCurrentVersion || write.Version != currentVersion + 1)
            {
                return new CommitResult(i, currentVersion);
            }

            if (write.IfNoneExist is { } condition && Matches(condition))
            {
                return new CommitResult(i, currentVersion) { ConditionMatched = true };
            }

            sids[i] = sid;
        }

        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            if (write.Type == AuditChain.ResourceType)
            {
                // The unit's audit record: chained in this same transaction (nothing unaudited commits).
                _audit.Append(write);
                continue;
            }

            var c = _commands;
            var sid = sids[i];
            var ticks = write.LastUpdated.UtcTicks;
            var deleted = write.Json is null ? 1 : 0;
            if (sid == 0)
            {
                c.InsertResource.Parameters[0].Value = write.Type;
                c.InsertResource.Parameters[1].Value = write.Id;
                c.InsertResource.Parameters[2].Value = write.Version;
                c.InsertResource.Parameters[3].Value = deleted;
                c.InsertResource.Parameters[4].Value = ticks;
                sid = (long)c.InsertResource.ExecuteScalar()!;
            }
            else
            {
                c.DeleteIndexes(sid);
            }

            c.InsertVersion.Parameters[0].Value = sid;
            c.InsertVersion.Parameters[1].Value = write.Version;
            c.InsertVersion.Parameters[2].Value = ticks;
            c.InsertVersion.Parameters[3].Value = write.Method;
            c.InsertVersion.Parameters[4].Value = (object?)write.Json ?? DBNull.Value;
            var rid = (long)c.InsertVersion.ExecuteScalar()!;

            c.UpdateResource.Parameters[0].Value = sid;
            c.UpdateResource.Parameters[1].Value = write.Version;
            c.UpdateResource.Parameters[2].Value = rid;
            c.UpdateResource.Parameters[3].Value = deleted;
            c.UpdateResource.Parameters[4].Value = ticks;
            c.UpdateResource.ExecuteNonQuery();

            if (write.Json is not null)
            {
                c.InsertIndexes(sid, write.Indexes);
            }
        }

        return CommitResult.Success;
    }

    private CommitResult Replace(IReadOnlyList<IndexReplacement> items)
    {
        foreach (var item in items)
        {
            var c = _commands;
            var (sid, version) = ReadCurrent(item.Type, item.Id);

            if (sid == 0 || version != item.Version)
            {
                continue;
            }

            c.DeleteIndexes(sid);
            c.InsertIndexes(sid, item.Indexes);
        }

        return CommitResult.Success;
    }

    /// <summary>
    /// Deletes every row of a resource. secure_delete overwrites the freed pages with zeros, so the content is gone
    /// from the database file, not just unlinked (the WAL is truncated at the next checkpoint).
    /// </summary>
    private CommitResult Erase(string type, string id)
    {
        var (sid, _) = ReadCurrent(type, id);
        if (sid == 0)
        {
            return new CommitResult(-1, 0);
        }

        Execute("PRAGMA secure_delete = ON");
        try
        {
            _commands.DeleteIndexes(sid);
            var versions = Execute("DELETE FROM resource_version WHERE sid = $sid", sid);
            Execute("DELETE FROM resource WHERE sid = $sid", sid);
            return new CommitResult(-1, versions);
        }
        finally
        {
            Execute("PRAGMA secure_delete = FAST");
        }
    }

    private int Execute(string sql, long? sid = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        if (sid is { } value)
        {
            command.Parameters.AddWithValue("$sid", value);
        }

        return command.ExecuteNonQuery();
    }

    /// <summary>Whether a search matches anything, seen from inside the committing transaction (earlier units included).</summary>
    private bool Matches(SearchQuery condition) => SqlReads.Matches(_connection, _transaction!, SqlDialect.Sqlite, condition);

    /// <summary>The surrogate id and current version of a resource, or (0, 0) when it was never written.</summary>
    private (long Sid, long Version) ReadCurrent(string type, string id)
    {
        var select = _commands.SelectCurrent;
        select.Parameters[0].Value = type;
        select.Parameters[1].Value = id;
        using var reader = select.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    private sealed record WriteUnit(IReadOnlyList<ResourceWrite> Writes, IReadOnlyList<IndexReplacement> Replacements, TaskCompletionSource<CommitResult> Completion)
    {
        public (string Type, string Id)? Erase { get; init; }
    }

    /// <summary>Prepared statements reused for every write: parsing SQL per row would dominate ingest time.</summary>
    private sealed class Commands : IDisposable
    {
        private static readonly string[] IndexTables = ["idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_quantity", "idx_uri", "idx_composite"];

        private readonly List<SqliteCommand> _all = [];
        private readonly SqliteCommand[] _deleteIndexes;
        private readonly SqliteCommand[] _deleteContainedIndexes;
        private readonly SqliteCommand _deleteContained;
        private readonly SqliteCommand _insertContained;
        private readonly SqliteCommand _insertString;
        private readonly SqliteCommand _insertToken;
        private readonly SqliteCommand _insertReference;
        private readonly SqliteCommand _insertDate;
        private readonly SqliteCommand _insertNumber;
        private readonly SqliteCommand _insertQuantity;
        private readonly SqliteCommand _insertUri;
        private readonly SqliteCommand _insertComposite;
        private readonly SqliteCommand _insertText;
        private readonly SqliteCommand _deleteText;
        private long _tuple;

        public Commands(SqliteConnection connection)
        {
            SqliteCommand Make(string sql, int parameters)
            {
                var command = connection.CreateCommand();
                command.CommandText = sql;
                for (var i = 1; i <= parameters; i++)
                {
                    command.Parameters.Add(new SqliteParameter("$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
                }

                _all.Add(command);
                return command;
            }

            SelectCurrent = Make("SELECT sid, version FROM resource WHERE type = $1 AND id = $2", 2);
            InsertResource = Make("INSERT INTO resource (type, id, version, rid, deleted, last_updated) VALUES ($1, $2, $3, 0, $4, $5) RETURNING sid", 5);
            InsertVersion = Make("INSERT INTO resource_version (sid, version, last_updated, method, payload) VALUES ($1, $2, $3, $4, $5) RETURNING rid", 5);
            UpdateResource = Make("UPDATE resource SET version = $2, rid = $3, deleted = $4, last_updated = $5 WHERE sid = $1", 5);
            _deleteIndexes = IndexTables
                .Select(table => Make($"DELETE FROM {table} WHERE sid = $1", 1))
                .ToArray();
            _deleteContainedIndexes = IndexTables
                .Select(table => Make($"DELETE FROM {table} WHERE sid BETWEEN $1 AND $2", 2))
                .ToArray();
            _deleteContained = Make("DELETE FROM contained_resource WHERE container_sid = $1", 1);
            _insertContained = Make("INSERT INTO contained_resource (sid, container_sid, type, id, last_updated) VALUES ($1, $2, $3, $4, (SELECT last_updated FROM resource WHERE sid = $2))", 4);
            _insertString = Make("INSERT INTO idx_string (sid, param_id, value_norm, value_exact) VALUES ($1, $2, $3, $4)", 4);
            _insertToken = Make("INSERT INTO idx_token (sid, param_id, system, code, text, type_system, type_code) VALUES ($1, $2, $3, $4, $5, $6, $7)", 7);
            _insertReference = Make("INSERT INTO idx_reference (sid, param_id, target_type, target_id, target_version, url, identifier_system, identifier_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8);
            _insertDate = Make("INSERT INTO idx_date (sid, param_id, low, high) VALUES ($1, $2, $3, $4)", 4);
            _insertNumber = Make("INSERT INTO idx_number (sid, param_id, value, low, high) VALUES ($1, $2, $3, $4, $5)", 5);
            _insertQuantity = Make("INSERT INTO idx_quantity (sid, param_id, system, code, unit, value, low, high, canon_code, canon_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10);
            _insertUri = Make("INSERT INTO idx_uri (sid, param_id, uri) VALUES ($1, $2, $3)", 3);
            _insertText = Make("INSERT INTO resource_text (rowid, narrative, content) VALUES ($1, $2, $3)", 3);
            _deleteText = Make("DELETE FROM resource_text WHERE rowid = $1", 1);
            _insertComposite = Make(
                "INSERT INTO idx_composite (sid, param_id, tuple, position, system, code, text, value_norm, value_exact, target_type, target_id, url, uri, unit, value, low, high, canon_code, canon_value) " +
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
                19);
        }

        public SqliteCommand SelectCurrent { get; }

        public SqliteCommand InsertResource { get; }

        public SqliteCommand InsertVersion { get; }

        public SqliteCommand UpdateResource { get; }

        public void Bind(SqliteTransaction transaction)
        {
            foreach (var command in _all)
            {
                command.Transaction = transaction;
            }
        }

        public void DeleteIndexes(long sid)
        {
            foreach (var command in _deleteIndexes)
            {
                command.Parameters[0].Value = sid;
                command.ExecuteNonQuery();
            }

            Set(_deleteText, sid).ExecuteNonQuery();
            if (Set(_deleteContained, sid).ExecuteNonQuery() > 0)
            {
                // Only containers pay for this: their contained resources' rows are one sid range.
                foreach (var command in _deleteContainedIndexes)
                {
                    Set(command, ContainedSid(sid, MaxContained), ContainedSid(sid, 0)).ExecuteNonQuery();
                }
            }
        }

        /// <summary>Contained resources beyond this many in one container are stored but not searchable.</summary>
        private const int MaxContained = 1023;

        /// <summary>The surrogate id of a container's contained resource at a position (0-based): negative, so it never names a stored resource.</summary>
        private static long ContainedSid(long containerSid, int position) => -((containerSid * (MaxContained + 1)) + position + 1);

        public void InsertIndexes(long sid, IReadOnlyList<IndexValue> values)
        {
            var position = 0;
            foreach (var value in values)
            {
                if (value is not ContainedIndexValue contained)
                {
                    InsertIndex(sid, value);
                }
                else if (position < MaxContained)
                {
                    var containedSid = ContainedSid(sid, position++);
                    Set(_insertContained, containedSid, sid, contained.Type, contained.Id).ExecuteNonQuery();
                    foreach (var inner in contained.Values)
                    {
                        InsertIndex(containedSid, inner);
                    }
                }
            }
        }

        private void InsertIndex(long sid, IndexValue value)
        {
            SqliteCommand command;
            switch (value)
            {
                case StringIndexValue s:
                    command = Set(_insertString, sid, s.ParamId, s.Normalized, s.Exact);
                    break;
                case TokenIndexValue t:
                    command = Set(_insertToken, sid, t.ParamId, t.System, t.Code, t.Text, t.TypeSystem, t.TypeCode);
                    break;
                case ReferenceIndexValue r:
                    command = Set(_insertReference, sid, r.ParamId, r.TargetType, r.TargetId, r.TargetVersion, r.Url, r.IdentifierSystem, r.IdentifierValue);
                    break;
                case DateIndexValue d:
                    command = Set(_insertDate, sid, d.ParamId, d.Low, d.High);
                    break;
                case NumberIndexValue n:
                    command = Set(_insertNumber, sid, n.ParamId, (double)n.Value, (double)n.Low, (double)n.High);
                    break;
                case QuantityIndexValue q:
                    command = Set(_insertQuantity, sid, q.ParamId, q.System, q.Code, q.Unit, (double)q.Value, (double)q.Low, (double)q.High, q.CanonicalCode, q.CanonicalValue is { } cv ? (double)cv : null);
                    break;
                case UriIndexValue u:
                    command = Set(_insertUri, sid, u.ParamId, u.Uri);
                    break;
                case CompositeIndexValue c:
                    InsertComposite(sid, c);
                    return;
                case TextIndexValue x:
                    command = Set(_insertText, sid, x.Narrative, x.Content);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown index value {value.GetType().Name}.");
            }

            command.ExecuteNonQuery();
        }

        /// <summary>One row per component; the tuple number (unique per writer) ties a tuple's rows together.</summary>
        private void InsertComposite(long sid, CompositeIndexValue composite)
        {
            var tuple = ++_tuple;
            for (var position = 0; position < composite.Components.Count; position++)
            {
                Set(_insertComposite, [sid, composite.ParamId, tuple, position, .. CompositeColumns.Of(composite.Components[position])]).ExecuteNonQuery();
            }
        }

        public void Dispose()
        {
            foreach (var command in _all)
            {
                command.Dispose();
            }
        }

        private static SqliteCommand Set(SqliteCommand command, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            return command;
        }
    }
}
