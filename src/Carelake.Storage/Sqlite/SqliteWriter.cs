using System.Threading.Channels;
using Carelake.Core.Audit;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Storage.SearchSql;
using Microsoft.Data.Sqlite;
using SQLitePCL;

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
    private readonly TaskCompletionSource _loop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Commands _commands;
    private readonly SqliteAuditAppender _audit;
    private readonly SqliteAuditJournal? _journal;
    private readonly SqliteTextIndex _text;
    private readonly Func<SearchQuery, bool> _fullTextMatches;
    private SqliteTransaction? _transaction;

    /// <param name="text">The full-text index, handed each commit's text changes.</param>
    /// <param name="fullTextMatches">
    /// Conditions that use <c>_text</c>/<c>_content</c> are tested here instead: the index is in another file, which
    /// the writer's connection does not attach (its BEGIN IMMEDIATE would lock that file too).
    /// </param>
    /// <param name="journal">Journaled audit records to chain at the start of every transaction (null: none).</param>
    public SqliteWriter(SqliteConnection connection, int maxUnitsPerCommit, SqliteTextIndex text, Func<SearchQuery, bool> fullTextMatches, SqliteAuditJournal? journal = null)
    {
        _journal = journal;
        _text = text;
        _fullTextMatches = fullTextMatches;
        _connection = connection;
        _maxUnitsPerCommit = maxUnitsPerCommit;
        _commands = new Commands(connection);
        _audit = new SqliteAuditAppender(connection);
        // A thread of its own: the writer's statements and fsyncs never occupy (or hop between) the thread pool's
        // threads, which parse and prepare the next requests meanwhile.
        new Thread(Run) { IsBackground = true, Name = "sqlite-writer" }.Start();
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
        await _loop.Task;
        _commands.Dispose();
        _audit.Dispose();
    }

    private void Run()
    {
        try
        {
            var batch = new List<WriteUnit>(_maxUnitsPerCommit);
            while (WaitToRead())
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

            _loop.TrySetResult();
        }
        catch (Exception e)
        {
            _loop.TrySetException(e);
        }
    }

    /// <summary>Blocks the writer's thread until a unit is queued; false once the queue is completed and drained.</summary>
    private bool WaitToRead()
    {
        var wait = _queue.Reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Posts an empty unit: its transaction chains the journaled audit records (completes after that COMMIT).</summary>
    public Task<CommitResult> ChainJournalAsync() => CommitAsync([], CancellationToken.None);

    private void CommitBatch(List<WriteUnit> batch, bool chainJournal = true)
    {
        var results = new CommitResult[batch.Count];
        var journaled = chainJournal && _journal is not null ? _journal.TakePending() : [];
        _commands.BeginText();
        try
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
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
        catch (Exception e) when (e is SqliteException or InvalidOperationException or Core.Fhir.FhirException)
        {
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

        _journal?.Chained(journaled);
        var textSeq = _commands.TextChanges.Count > 0 ? _text.Enqueue(_commands.TextChanges, _commands.MaxRid) : 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Erase is null && batch[i].Replacements.Count == 0)
            {
                batch[i].Completion.TrySetResult(results[i]);
                continue;
            }

            // An erasure is done when its words are gone from the index file too, and a reindex unit when its
            // words are in it (the reindex job records its progress after this).
            var (completion, result) = (batch[i].Completion, results[i]);
            _text.WaitForAsync(textSeq).ContinueWith(
                wait => _ = wait.IsFaulted ? completion.TrySetException(wait.Exception!.InnerExceptions) : completion.TrySetResult(result),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
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
                // A new resource: inserted with its final version, flag and time, so only its rid is set once the
                // version row exists (rid is in no index: that update touches the table's b-tree alone).
                sid = c.InsertResource.Text(1, write.Type).Text(2, write.Id).Int(3, write.Version).Int(4, deleted).Int(5, ticks).Scalar();
                var firstRid = c.InsertVersionRow(sid, write.Version, ticks, write.Method, write.Json);
                c.SetRid.Int(1, sid).Int(2, firstRid).Run();
            }
            else
            {
                c.DeleteIndexes(sid);
                var rid = c.InsertVersionRow(sid, write.Version, ticks, write.Method, write.Json);
                c.UpdateResource.Int(1, sid).Int(2, write.Version).Int(3, rid).Int(4, deleted).Int(5, ticks).Run();
            }

            var replacing = sids[i] != 0;
            if (write.Json is not null)
            {
                c.InsertIndexes(sid, write.Indexes, replacing);
            }
            else if (replacing)
            {
                c.Text(sid, TextOp.Delete);
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
            c.InsertIndexes(sid, item.Indexes, replacing: true);
        }

        return CommitResult.Success;
    }

    /// <summary>
    /// Deletes every row of a resource. secure_delete overwrites the freed pages with zeros, so the content is gone
    /// from the database file, not just unlinked; the store then truncates the WAL, which still holds the old frames.
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
            // Its words leave the full-text index file once this commits (the erasure completes after that); the
            // mark lets the next start finish that should the process stop first, and bounds the rids new rows may
            // now reuse (see SqliteTextIndex).
            var rescanAfter = ScalarLong("SELECT COALESCE(MAX(rid), 0) FROM resource_version");
            Execute($"INSERT OR REPLACE INTO text_erased (sid, rescan_after) VALUES ($sid, {rescanAfter})", sid);
            _commands.Text(sid, TextOp.Erase, rescanAfter: rescanAfter);
            return new CommitResult(-1, versions);
        }
        finally
        {
            Execute("PRAGMA secure_delete = FAST");
        }
    }

    private long ScalarLong(string sql)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
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

    /// <summary>
    /// Whether a search matches anything, seen from inside the committing transaction (earlier units included); a
    /// full-text condition sees committed resources only, once the index has caught up with them.
    /// </summary>
    private bool Matches(SearchQuery condition) => SqliteTextIndex.IsUsedBy(condition)
        ? _fullTextMatches(condition)
        : SqlReads.Matches(_connection, _transaction!, SqlDialect.Sqlite, condition);

    /// <summary>The surrogate id and current version of a resource, or (0, 0) when it was never written.</summary>
    private (long Sid, long Version) ReadCurrent(string type, string id) => _commands.ReadCurrent(type, id);

    private sealed record WriteUnit(IReadOnlyList<ResourceWrite> Writes, IReadOnlyList<IndexReplacement> Replacements, TaskCompletionSource<CommitResult> Completion)
    {
        public (string Type, string Id)? Erase { get; init; }
    }

    /// <summary>
    /// The writer's statements, prepared once on the writer's connection and driven through SQLitePCL's raw API:
    /// parameters bound by position, one step, one reset. Microsoft.Data.Sqlite's command layer (a parameter lookup
    /// by name per value, boxed values, a data reader per scalar) cost more CPU than some of the b-tree inserts it
    /// drove. The statements run inside the writer's transaction (the connection's BEGIN IMMEDIATE holds the write
    /// lock, so they never meet SQLITE_BUSY); a failing step throws the same <see cref="SqliteException"/>
    /// Microsoft.Data.Sqlite would, and the writer rolls the whole transaction back as before.
    /// </summary>
    private sealed class Commands : IDisposable
    {
        private static readonly string[] IndexTables = ["idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_quantity", "idx_uri", "idx_composite"];

        private readonly List<Statement> _all = [];
        private readonly Statement _selectCurrent;
        private readonly Statement[] _deleteIndexes;
        private readonly Statement[] _deleteContainedIndexes;
        private readonly Statement _deleteContained;
        private readonly Statement _insertContained;
        private readonly Statement _insertString;
        private readonly Statement _insertToken;
        private readonly Statement _insertReference;
        private readonly Statement _insertDate;
        private readonly Statement _insertNumber;
        private readonly Statement _insertQuantity;
        private readonly Statement _insertUri;
        private readonly Statement _insertComposite;
        private readonly Utf8Buffer _utf8 = new();
        private long _tuple;
        private bool _replacing;
        private bool _wroteText;

        public Commands(SqliteConnection connection)
        {
            var db = connection.Handle ?? throw new InvalidOperationException("The writer's connection is not open.");
            Statement Make(string sql)
            {
                var statement = new Statement(db, sql, _utf8);
                _all.Add(statement);
                return statement;
            }

            _selectCurrent = Make("SELECT sid, version FROM resource WHERE type = ?1 AND id = ?2");
            InsertResource = Make("INSERT INTO resource (type, id, version, rid, deleted, last_updated) VALUES (?1, ?2, ?3, 0, ?4, ?5) RETURNING sid");
            InsertVersion = Make("INSERT INTO resource_version (sid, version, last_updated, method, payload) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING rid");
            SetRid = Make("UPDATE resource SET rid = ?2 WHERE sid = ?1");
            UpdateResource = Make("UPDATE resource SET version = ?2, rid = ?3, deleted = ?4, last_updated = ?5 WHERE sid = ?1");
            _deleteIndexes = IndexTables
                .Select(table => Make($"DELETE FROM {table} WHERE sid = ?1"))
                .ToArray();
            _deleteContainedIndexes = IndexTables
                .Select(table => Make($"DELETE FROM {table} WHERE sid BETWEEN ?1 AND ?2"))
                .ToArray();
            _deleteContained = Make("DELETE FROM contained_resource WHERE container_sid = ?1");
            _insertContained = Make("INSERT INTO contained_resource (sid, container_sid, type, id, last_updated) VALUES (?1, ?2, ?3, ?4, (SELECT last_updated FROM resource WHERE sid = ?2))");
            _insertString = Make("INSERT INTO idx_string (sid, param_id, value_norm, value_exact) VALUES (?1, ?2, ?3, ?4)");
            _insertToken = Make("INSERT INTO idx_token (sid, param_id, system, code, text, type_system, type_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            _insertReference = Make("INSERT INTO idx_reference (sid, param_id, target_type, target_id, target_version, url, identifier_system, identifier_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
            _insertDate = Make("INSERT INTO idx_date (sid, param_id, low, high) VALUES (?1, ?2, ?3, ?4)");
            _insertNumber = Make("INSERT INTO idx_number (sid, param_id, value, low, high) VALUES (?1, ?2, ?3, ?4, ?5)");
            _insertQuantity = Make("INSERT INTO idx_quantity (sid, param_id, system, code, unit, value, low, high, canon_code, canon_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
            _insertUri = Make("INSERT INTO idx_uri (sid, param_id, uri) VALUES (?1, ?2, ?3)");
            _insertComposite = Make(
                "INSERT INTO idx_composite (sid, param_id, tuple, position, system, code, text, value_norm, value_exact, target_type, target_id, url, uri, unit, value, low, high, canon_code, canon_value) " +
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
        }

        /// <summary>?1 type, ?2 id, ?3 version, ?4 deleted, ?5 last_updated; returns the new sid.</summary>
        public Statement InsertResource { get; }

        /// <summary>?1 sid, ?2 version, ?3 last_updated, ?4 method, ?5 payload; returns the new rid.</summary>
        public Statement InsertVersion { get; }

        /// <summary>?1 sid, ?2 rid: points a just-inserted resource at its first version.</summary>
        public Statement SetRid { get; }

        /// <summary>?1 sid, ?2 version, ?3 rid, ?4 deleted, ?5 last_updated.</summary>
        public Statement UpdateResource { get; }

        /// <summary>The surrogate id and current version of a resource, or (0, 0) when it was never written.</summary>
        public (long Sid, long Version) ReadCurrent(string type, string id) => _selectCurrent.Text(1, type).Text(2, id).Row();

        /// <summary>The full-text changes of the transaction being written (handed to <see cref="SqliteTextIndex"/> after its COMMIT).</summary>
        public List<TextChange> TextChanges { get; private set; } = [];

        /// <summary>The newest resource version (rid) the transaction being written has inserted.</summary>
        public long MaxRid { get; private set; }

        /// <summary>Starts collecting a transaction's text changes (a rolled-back attempt's are dropped).</summary>
        public void BeginText()
        {
            TextChanges = [];
            MaxRid = 0;
        }

        public void Text(long sid, TextOp op, string? narrative = null, string? content = null, long rescanAfter = 0) =>
            TextChanges.Add(new TextChange(sid, op, narrative, content, rescanAfter));

        /// <summary>?1 sid, ?2 version, ?3 last_updated, ?4 method, ?5 payload; returns the new rid.</summary>
        public long InsertVersionRow(long sid, long version, long ticks, string method, byte[]? payload)
        {
            var rid = InsertVersion.Int(1, sid).Int(2, version).Int(3, ticks).Text(4, method).Blob(5, payload).Scalar();
            MaxRid = Math.Max(MaxRid, rid);
            return rid;
        }

        public void DeleteIndexes(long sid)
        {
            foreach (var statement in _deleteIndexes)
            {
                statement.Int(1, sid).Run();
            }

            if (_deleteContained.Int(1, sid).Run() > 0)
            {
                // Only containers pay for this: their contained resources' rows are one sid range.
                foreach (var statement in _deleteContainedIndexes)
                {
                    statement.Int(1, ContainedSid(sid, MaxContained)).Int(2, ContainedSid(sid, 0)).Run();
                }
            }
        }

        /// <summary>Contained resources beyond this many in one container are stored but not searchable.</summary>
        private const int MaxContained = 1023;

        /// <summary>The surrogate id of a container's contained resource at a position (0-based): negative, so it never names a stored resource.</summary>
        private static long ContainedSid(long containerSid, int position) => -((containerSid * (MaxContained + 1)) + position + 1);

        /// <param name="replacing">The resource had rows before (its full-text row is replaced, or deleted when it has no text now).</param>
        public void InsertIndexes(long sid, IReadOnlyList<IndexValue> values, bool replacing)
        {
            _replacing = replacing;
            _wroteText = false;
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
                    _insertContained.Int(1, containedSid).Int(2, sid).Text(3, contained.Type).Text(4, contained.Id).Run();
                    foreach (var inner in contained.Values)
                    {
                        InsertIndex(containedSid, inner);
                    }
                }
            }

            if (_replacing && !_wroteText)
            {
                Text(sid, TextOp.Delete);
            }
        }

        private void InsertIndex(long sid, IndexValue value)
        {
            switch (value)
            {
                case StringIndexValue s:
                    _insertString.Int(1, sid).Int(2, s.ParamId).Text(3, s.Normalized).Text(4, s.Exact).Run();
                    break;
                case TokenIndexValue t:
                    _insertToken.Int(1, sid).Int(2, t.ParamId).Text(3, t.System).Text(4, t.Code).Text(5, t.Text).Text(6, t.TypeSystem).Text(7, t.TypeCode).Run();
                    break;
                case ReferenceIndexValue r:
                    _insertReference.Int(1, sid).Int(2, r.ParamId).Text(3, r.TargetType).Text(4, r.TargetId).Text(5, r.TargetVersion).Text(6, r.Url)
                        .Text(7, r.IdentifierSystem).Text(8, r.IdentifierValue).Run();
                    break;
                case DateIndexValue d:
                    _insertDate.Int(1, sid).Int(2, d.ParamId).Int(3, d.Low).Int(4, d.High).Run();
                    break;
                case NumberIndexValue n:
                    _insertNumber.Int(1, sid).Int(2, n.ParamId).Real(3, (double)n.Value).Real(4, (double)n.Low).Real(5, (double)n.High).Run();
                    break;
                case QuantityIndexValue q:
                    _insertQuantity.Int(1, sid).Int(2, q.ParamId).Text(3, q.System).Text(4, q.Code).Text(5, q.Unit)
                        .Real(6, (double)q.Value).Real(7, (double)q.Low).Real(8, (double)q.High).Text(9, q.CanonicalCode).Real(10, q.CanonicalValue is { } cv ? (double)cv : null).Run();
                    break;
                case UriIndexValue u:
                    _insertUri.Int(1, sid).Int(2, u.ParamId).Text(3, u.Uri).Run();
                    break;
                case CompositeIndexValue c:
                    InsertComposite(sid, c);
                    break;
                case TextIndexValue x:
                    Text(sid, _replacing ? TextOp.Replace : TextOp.Insert, x.Narrative, x.Content);
                    _wroteText = true;
                    break;
                default:
                    throw new InvalidOperationException($"Unknown index value {value.GetType().Name}.");
            }
        }

        /// <summary>
        /// One row per component; the tuple number (unique per writer) ties a tuple's rows together. The columns a
        /// component fills are those of <see cref="CompositeColumns"/> (shared with PostgreSQL); every other
        /// column is NULL.
        /// </summary>
        private void InsertComposite(long sid, CompositeIndexValue composite)
        {
            var tuple = ++_tuple;
            var statement = _insertComposite;
            for (var position = 0; position < composite.Components.Count; position++)
            {
                statement.Int(1, sid).Int(2, composite.ParamId).Int(3, tuple).Int(4, position);
                for (var column = 5; column <= 4 + CompositeColumns.ColumnCount; column++)
                {
                    statement.Null(column);
                }

                // Column numbers: 5 + the index in CompositeColumns' order.
                switch (composite.Components[position])
                {
                    case StringIndexValue s:
                        statement.Text(8, s.Normalized).Text(9, s.Exact);
                        break;
                    case TokenIndexValue t:
                        statement.Text(5, t.System).Text(6, t.Code).Text(7, t.Text);
                        break;
                    case ReferenceIndexValue r:
                        statement.Text(10, r.TargetType).Text(11, r.TargetId).Text(12, r.Url);
                        break;
                    case DateIndexValue d:
                        statement.Int(16, d.Low).Int(17, d.High);
                        break;
                    case NumberIndexValue n:
                        statement.Real(15, (double)n.Value);
                        break;
                    case QuantityIndexValue q:
                        statement.Text(5, q.System).Text(6, q.Code).Text(14, q.Unit).Real(15, (double)q.Value).Text(18, q.CanonicalCode)
                            .Real(19, q.CanonicalValue is { } cv ? (double)cv : null);
                        break;
                    case UriIndexValue u:
                        statement.Text(13, u.Uri);
                        break;
                }

                statement.Run();
            }
        }

        public void Dispose()
        {
            foreach (var statement in _all)
            {
                statement.Dispose();
            }
        }
    }

    /// <summary>A reusable UTF-8 encoding buffer: SQLite copies bound text (SQLITE_TRANSIENT), so one buffer serves every bind.</summary>
    private sealed class Utf8Buffer
    {
        private byte[] _bytes = new byte[4096];

        public ReadOnlySpan<byte> Encode(string value)
        {
            var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
            if (max > _bytes.Length)
            {
                var needed = System.Text.Encoding.UTF8.GetByteCount(value);
                if (needed > _bytes.Length)
                {
                    _bytes = new byte[Math.Max(needed, _bytes.Length * 2)];
                }
            }

            var length = System.Text.Encoding.UTF8.GetBytes(value, _bytes);
            return _bytes.AsSpan(0, length);
        }
    }

    /// <summary>
    /// One prepared statement. Binders return the statement so a row reads as one chain; <see cref="Run"/>,
    /// <see cref="Scalar"/> and <see cref="Row"/> step it, reset it (bindings stay until rebound) and throw a
    /// <see cref="SqliteException"/> for any SQLite error, the statement reset first so it can run again.
    /// </summary>
    private sealed class Statement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _stmt;
        private readonly Utf8Buffer _utf8;

        public Statement(sqlite3 db, string sql, Utf8Buffer utf8)
        {
            _db = db;
            _utf8 = utf8;
            var rc = raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _stmt);
            SqliteException.ThrowExceptionForRC(rc, db);
        }

        public Statement Int(int index, long value)
        {
            Check(raw.sqlite3_bind_int64(_stmt, index, value));
            return this;
        }

        public Statement Real(int index, double? value)
        {
            Check(value is { } v ? raw.sqlite3_bind_double(_stmt, index, v) : raw.sqlite3_bind_null(_stmt, index));
            return this;
        }

        public Statement Text(int index, string? value)
        {
            // An empty span would reach SQLite as a null pointer, which binds NULL, not '': the string overload
            // binds the empty text, as Microsoft.Data.Sqlite does.
            Check(value is null ? raw.sqlite3_bind_null(_stmt, index)
                : value.Length == 0 ? raw.sqlite3_bind_text(_stmt, index, value)
                : raw.sqlite3_bind_text(_stmt, index, _utf8.Encode(value)));
            return this;
        }

        public Statement Blob(int index, byte[]? value)
        {
            Check(value is null ? raw.sqlite3_bind_null(_stmt, index)
                : value.Length == 0 ? raw.sqlite3_bind_zeroblob(_stmt, index, 0)
                : raw.sqlite3_bind_blob(_stmt, index, value));
            return this;
        }

        public Statement Null(int index)
        {
            Check(raw.sqlite3_bind_null(_stmt, index));
            return this;
        }

        /// <summary>Runs a statement that returns no rows; the number of rows it changed.</summary>
        public int Run()
        {
            Finish(raw.sqlite3_step(_stmt));
            return raw.sqlite3_changes(_db);
        }

        /// <summary>Runs a statement whose first row's first column is an integer (an INSERT … RETURNING).</summary>
        public long Scalar()
        {
            var rc = raw.sqlite3_step(_stmt);
            if (rc != raw.SQLITE_ROW)
            {
                Finish(rc);
                throw new InvalidOperationException("The statement returned no row.");
            }

            var value = raw.sqlite3_column_int64(_stmt, 0);
            Finish(raw.sqlite3_step(_stmt));
            return value;
        }

        /// <summary>The first row's first two integer columns, or (0, 0) without a row.</summary>
        public (long, long) Row()
        {
            var rc = raw.sqlite3_step(_stmt);
            if (rc != raw.SQLITE_ROW)
            {
                Finish(rc);
                return (0, 0);
            }

            var row = (raw.sqlite3_column_int64(_stmt, 0), raw.sqlite3_column_int64(_stmt, 1));
            raw.sqlite3_reset(_stmt);
            return row;
        }

        public void Dispose() => _stmt.Dispose();

        /// <summary>Resets the statement after its last step; a step that failed throws (after the reset).</summary>
        private void Finish(int rc)
        {
            if (rc is raw.SQLITE_DONE or raw.SQLITE_ROW)
            {
                raw.sqlite3_reset(_stmt);
                return;
            }

            try
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
            finally
            {
                raw.sqlite3_reset(_stmt);
            }
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
    }
}
