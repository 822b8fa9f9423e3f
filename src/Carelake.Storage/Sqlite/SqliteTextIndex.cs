using System.Collections.Concurrent;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// The full-text index behind <c>_text</c> and <c>_content</c>: an FTS5 table in a SQLite file of its own
/// (<c>carelake.db-text</c>), kept by a thread of its own. Maintaining FTS5 inside the single writer's transactions was
/// a third to a half of the writer's CPU; applied here in large transactions beside the writer it costs a fraction of
/// that, off the writer's critical path.
/// <para>
/// The writer hands each commit's text changes over after its COMMIT (<see cref="Enqueue"/>). The index records the
/// highest resource version (rid) it has applied, in the same transaction as the rows; it is derived data, so after a
/// crash <see cref="Open"/> extracts the text again from every resource whose current version is newer, and from
/// nothing else. Searches that use full text first wait until every change committed before they started is applied
/// (<see cref="CatchUpAsync"/>), so a client always finds its own writes.
/// </para>
/// </summary>
internal sealed class SqliteTextIndex : IAsyncDisposable
{
    /// <summary>Changes applied per transaction of the index file (at most; fewer when fewer are waiting).</summary>
    private const int ChangesPerTransaction = 8192;

    /// <summary>
    /// Changes queued beyond this hold the writer back until the index catches up, so a workload whose text costs
    /// more than its rows (very large narratives) cannot queue without bound.
    /// </summary>
    private const int MaxQueuedChanges = 200_000;

    private readonly SqliteConnection _connection;
    private readonly ConcurrentQueue<Batch> _queue = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly AutoResetEvent _drained = new(false);
    private readonly Lock _gate = new();
    private readonly List<(long Seq, TaskCompletionSource Done)> _waiters = [];
    private readonly Thread _thread;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _state;
    private readonly SqliteCommand _lowerState;
    private volatile bool _stopping;
    private volatile Exception? _failure;
    private long _enqueued;
    private long _applied;
    private long _queuedChanges;

    private SqliteTextIndex(SqliteConnection connection)
    {
        _connection = connection;
        // OR REPLACE: an index file ahead of its database (a restored backup) may hold a row for a sid handed out again.
        _insert = Command("INSERT OR REPLACE INTO resource_text (rowid, narrative, content) VALUES ($sid, $narrative, $content)", "$sid", "$narrative", "$content");
        _delete = Command("DELETE FROM resource_text WHERE rowid = $sid", "$sid");
        _state = Command("UPDATE text_state SET applied_rid = $rid WHERE id = 1 AND applied_rid < $rid", "$rid");
        _lowerState = Command("UPDATE text_state SET applied_rid = $rid WHERE id = 1 AND applied_rid > $rid", "$rid");
        _thread = new Thread(Run) { IsBackground = true, Name = "sqlite-text" };
    }

    /// <summary>The file of the full-text index of a database.</summary>
    public static string PathFor(string databasePath) => databasePath + "-text";

    /// <summary>Removes the index file with its WAL and shared-memory files (rebuilt at the next open).</summary>
    public static void DeleteFiles(string databasePath)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(PathFor(databasePath) + suffix);
        }
    }

    /// <summary>
    /// Opens (creating) the index file next to the database, moves a full-text table left in the main file by an
    /// earlier version into it, and brings it up to date with the resources (after a crash, or when the file was
    /// deleted: then every resource's text is extracted again). Runs before the writer starts; <see cref="Start"/>
    /// starts the thread.
    /// </summary>
    public static SqliteTextIndex Open(SqliteConnection store, string databasePath, string synchronous)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = PathFor(databasePath),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        try
        {
            return Open(connection, store, databasePath, synchronous);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static SqliteTextIndex Open(SqliteConnection connection, SqliteConnection store, string databasePath, string synchronous)
    {
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, $"PRAGMA synchronous = {synchronous}");
        Execute(connection, "PRAGMA busy_timeout = 30000");
        // Words deleted or replaced are zeroed in the pages written anyway, as in the main file.
        Execute(connection, "PRAGMA secure_delete = FAST");
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            Execute(connection, "CREATE TABLE IF NOT EXISTS text_state (id INTEGER PRIMARY KEY CHECK (id = 1), applied_rid INTEGER NOT NULL)", transaction);
            Execute(connection, "INSERT OR IGNORE INTO text_state (id, applied_rid) VALUES (1, 0)", transaction);
            if (!TableExists(connection, "resource_text"))
            {
                // remove_diacritics 2: accent-insensitive, like string search. secure-delete: a row deleted or
                // replaced takes its words out of the index at once, instead of leaving them in segments until a merge.
                Execute(connection, "CREATE VIRTUAL TABLE resource_text USING fts5(narrative, content, tokenize = 'unicode61 remove_diacritics 2')", transaction);
                Execute(connection, "INSERT INTO resource_text (resource_text, rank) VALUES ('secure-delete', 1)", transaction);
            }

            transaction.Commit();
        }

        var index = new SqliteTextIndex(connection);
        MoveLegacyTable(store, databasePath);
        index.CatchUpWith(store);
        return index;
    }

    /// <summary>Attaches the index to a reader connection, where full-text searches name <c>resource_text</c>.</summary>
    public static void Attach(SqliteConnection connection, string databasePath)
    {
        using var attach = connection.CreateCommand();
        attach.CommandText = "ATTACH DATABASE $path AS fts";
        attach.Parameters.AddWithValue("$path", PathFor(databasePath));
        attach.ExecuteNonQuery();
    }

    /// <summary>Whether a search reads the full-text index (<c>_text</c>, <c>_content</c>, also inside chains and <c>_has</c>).</summary>
    public static bool IsUsedBy(SearchQuery query) => query.Criteria.Any(Uses);

    private static bool Uses(SearchCriterion criterion) =>
        criterion.Code is "_text" or "_content"
        || criterion.Chain?.Any(link => Uses(link.Inner)) == true
        || (criterion.Has is { } has && Uses(has.Inner));

    public void Start() => _thread.Start();

    /// <summary>
    /// A commit's text changes (called by the writer, in commit order, after the COMMIT); <paramref name="maxRid"/> is
    /// the newest resource version the commit wrote. Returns the seq <see cref="WaitForAsync"/> takes.
    /// </summary>
    public long Enqueue(List<TextChange> changes, long maxRid)
    {
        var seq = _enqueued + 1;
        if (_failure is not null)
        {
            // The index has stopped (see TryApply): these changes are extracted again at the next start.
            Volatile.Write(ref _enqueued, seq);
            return seq;
        }

        while (Interlocked.Read(ref _queuedChanges) > MaxQueuedChanges && _failure is null)
        {
            _drained.WaitOne(TimeSpan.FromMilliseconds(100));
        }

        Interlocked.Add(ref _queuedChanges, changes.Count);
        _queue.Enqueue(new Batch(seq, changes, maxRid));
        Volatile.Write(ref _enqueued, seq);
        _wake.Set();
        return seq;
    }

    /// <summary>Completes once the index has applied every change committed before this call.</summary>
    public Task CatchUpAsync() => WaitForAsync(Volatile.Read(ref _enqueued));

    /// <summary>Completes once the index has applied the changes up to this seq.</summary>
    public Task WaitForAsync(long seq)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _applied) >= seq)
            {
                return Task.CompletedTask;
            }

            if (_failure is { } failure)
            {
                return Task.FromException(Failed(failure));
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((seq, done));
            return done.Task;
        }
    }

    private void Run()
    {
        var pending = new List<Batch>();
        while (true)
        {
            var stopping = _stopping;
            while (_queue.TryPeek(out _))
            {
                pending.Clear();
                var changes = 0;
                while (changes < ChangesPerTransaction && _queue.TryDequeue(out var batch))
                {
                    pending.Add(batch);
                    changes += batch.Changes.Count;
                }

                if (!TryApply(pending))
                {
                    return;
                }
            }

            if (stopping)
            {
                return;
            }

            _wake.WaitOne();
        }
    }

    /// <summary>Tests: the index file behaves as if the disk were full (it cannot grow beyond its current size).</summary>
    internal volatile bool FullForTest;

    /// <summary>Applies batches in one transaction; on a storage error (a full disk) retries, then gives up (false).</summary>
    private bool TryApply(List<Batch> batches)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (FullForTest)
                {
                    Execute(_connection, "PRAGMA max_page_count = 1");
                }

                using var transaction = _connection.BeginTransaction(deferred: false);
                var erased = false;
                foreach (var batch in batches)
                {
                    // In commit order, so an erasure's lowered mark is raised again only by commits after it.
                    erased |= Apply(batch.Changes, transaction);
                    SetAppliedRid(batch.MaxRid, transaction);
                }

                transaction.Commit();
                if (erased)
                {
                    // The erased words are also in the WAL frames that inserted them: fold the WAL in and empty it.
                    TryExecute("PRAGMA wal_checkpoint(TRUNCATE)");
                }

                Interlocked.Add(ref _queuedChanges, -batches.Sum(b => b.Changes.Count));
                _drained.Set();
                Release(batches[^1].Seq);
                return true;
            }
            catch (Exception e)
            {
                if (e is SqliteException && attempt < 5 && !_stopping)
                {
                    Thread.Sleep(TimeSpan.FromSeconds(attempt));
                    continue;
                }

                // The committed resources are intact; their text is extracted again at the next start (their rids
                // are above the applied mark). Until then full-text searches fail instead of missing them.
                lock (_gate)
                {
                    _failure = e;
                    foreach (var (_, done) in _waiters)
                    {
                        done.TrySetException(Failed(e));
                    }

                    _waiters.Clear();
                }

                _drained.Set();
                return false;
            }
        }
    }

    /// <summary>Applies changes in order; true when one was an erasure.</summary>
    private bool Apply(List<TextChange> changes, SqliteTransaction transaction)
    {
        _insert.Transaction = _delete.Transaction = _lowerState.Transaction = transaction;
        var erased = false;
        foreach (var change in changes)
        {
            if (change.Op == TextOp.Erase)
            {
                // As in the main file: the freed pages are overwritten too, not only the cells of pages written anyway.
                Execute(_connection, "PRAGMA secure_delete = ON", transaction);
                _delete.Parameters[0].Value = change.Sid;
                _delete.ExecuteNonQuery();
                Execute(_connection, "PRAGMA secure_delete = FAST", transaction);
                // Rows written from now on may reuse rids above what is left: the mark goes down to it (and up again
                // with the commits applied after this one), so a crash before those are applied re-extracts them.
                _lowerState.Parameters[0].Value = change.RescanAfter;
                _lowerState.ExecuteNonQuery();
                erased = true;
                continue;
            }

            if (change.Op != TextOp.Insert)
            {
                _delete.Parameters[0].Value = change.Sid;
                _delete.ExecuteNonQuery();
            }

            if (change.Op != TextOp.Delete)
            {
                _insert.Parameters[0].Value = change.Sid;
                _insert.Parameters[1].Value = change.Narrative ?? string.Empty;
                _insert.Parameters[2].Value = change.Content ?? string.Empty;
                _insert.ExecuteNonQuery();
            }
        }

        return erased;
    }

    private void TryExecute(string sql)
    {
        try
        {
            Execute(_connection, sql);
        }
        catch (SqliteException)
        {
            // Busy (a reader): the next erasure, or the shutdown, tries again.
        }
    }

    private void SetAppliedRid(long rid, SqliteTransaction transaction)
    {
        _state.Transaction = transaction;
        _state.Parameters[0].Value = rid;
        _state.ExecuteNonQuery();
    }

    private void Release(long seq)
    {
        List<TaskCompletionSource> done = [];
        lock (_gate)
        {
            Volatile.Write(ref _applied, seq);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Seq <= seq)
                {
                    done.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var waiter in done)
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>503: the data is intact and the index is rebuilt at the next start; full-text results now would be incomplete.</summary>
    private static FhirException Failed(Exception cause) =>
        new(503, Hl7.Fhir.Model.OperationOutcome.IssueType.Transient, $"The full-text index could not be updated ({cause.Message}); _text and _content are unavailable until the server restarts, which rebuilds it from the stored resources.");

    /// <summary>
    /// Brings the index up to date with the resources: the words of resources erased since the last start are
    /// removed, and the text of every resource whose current version is newer than the applied mark is extracted
    /// again (after a crash: the last few milliseconds of commits; with a new index file: all of them). An index
    /// ahead of its database (a database restored from a backup beside a newer index file) is rebuilt.
    /// </summary>
    private void CatchUpWith(SqliteConnection store)
    {
        // Erased since the last start: their words go, whether or not the erasure reached this file, and the mark
        // goes down to what was left after each (a sid or rid reused since is re-extracted below).
        var erased = new List<TextChange>();
        using (var select = store.CreateCommand())
        {
            select.CommandText = "SELECT sid, rescan_after FROM text_erased";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                erased.Add(new TextChange(reader.GetInt64(0), TextOp.Erase, null, null, reader.GetInt64(1)));
            }
        }

        if (erased.Count > 0)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            Apply(erased, transaction);
            transaction.Commit();
            TryExecute("PRAGMA wal_checkpoint(TRUNCATE)");
        }

        var appliedRid = ScalarLong(_connection, "SELECT applied_rid FROM text_state WHERE id = 1");
        if (appliedRid > ScalarLong(store, "SELECT COALESCE(MAX(rid), 0) FROM resource_version"))
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            Execute(_connection, "DELETE FROM resource_text", transaction);
            Execute(_connection, "UPDATE text_state SET applied_rid = 0 WHERE id = 1", transaction);
            transaction.Commit();
            appliedRid = 0;
        }

        while (true)
        {
            var changes = new List<TextChange>();
            var maxRid = appliedRid;
            using (var scan = store.CreateCommand())
            {
                // The current version of each resource written after the mark, in rid order (rid is the version table's key).
                scan.CommandText = "SELECT v.rid, v.sid, v.payload FROM resource_version v JOIN resource r ON r.sid = v.sid AND r.rid = v.rid WHERE v.rid > $after ORDER BY v.rid LIMIT $limit";
                scan.Parameters.AddWithValue("$after", appliedRid);
                scan.Parameters.AddWithValue("$limit", ChangesPerTransaction);
                using var reader = scan.ExecuteReader();
                while (reader.Read())
                {
                    maxRid = reader.GetInt64(0);
                    var sid = reader.GetInt64(1);
                    var text = reader.IsDBNull(2) ? null : TextExtractor.Extract((byte[])reader.GetValue(2));
                    changes.Add(text is null
                        ? new TextChange(sid, TextOp.Delete, null, null)
                        : new TextChange(sid, TextOp.Replace, text.Narrative, text.Content));
                }
            }

            if (changes.Count == 0)
            {
                break;
            }

            using var transaction = _connection.BeginTransaction(deferred: false);
            Apply(changes, transaction);
            SetAppliedRid(maxRid, transaction);
            transaction.Commit();
            appliedRid = maxRid;
        }

        Execute(store, "DELETE FROM text_erased");
    }

    private static long ScalarLong(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Databases written before the index had its own file keep <c>resource_text</c> in the main file: its rows are
    /// copied here, with the newest rid as the applied mark, and the table dropped, once. A crash midway repeats the
    /// copy (this table is cleared first).
    /// </summary>
    private static void MoveLegacyTable(SqliteConnection store, string databasePath)
    {
        if (!TableExists(store, "resource_text"))
        {
            return;
        }

        Attach(store, databasePath);
        try
        {
            using (var transaction = store.BeginTransaction(deferred: false))
            {
                Execute(store, "DELETE FROM fts.resource_text", transaction);
                Execute(store, "INSERT INTO fts.resource_text (rowid, narrative, content) SELECT rowid, narrative, content FROM main.resource_text", transaction);
                Execute(store, "UPDATE fts.text_state SET applied_rid = (SELECT COALESCE(MAX(rid), 0) FROM main.resource_version)", transaction);
                transaction.Commit();
            }

            Execute(store, "DROP TABLE main.resource_text");
        }
        finally
        {
            Execute(store, "DETACH DATABASE fts");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The writer has drained: apply what it handed over, then stop.
        _stopping = true;
        _wake.Set();
        await Task.Run(_thread.Join);
        try
        {
            Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        catch (SqliteException)
        {
            // Busy: the WAL stays and is folded in at the next start.
        }

        _insert.Dispose();
        _delete.Dispose();
        _state.Dispose();
        _lowerState.Dispose();
        await _connection.DisposeAsync();
        _wake.Dispose();
        _drained.Dispose();
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        return command;
    }

    private static bool TableExists(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return command.ExecuteScalar() is not null;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record Batch(long Seq, List<TextChange> Changes, long MaxRid);
}

/// <summary>What the full-text index must do for one resource.</summary>
internal enum TextOp
{
    Insert,

    /// <summary>Delete the resource's row, then insert the new one.</summary>
    Replace,
    Delete,

    /// <summary>Delete, overwriting the freed pages (right to erasure).</summary>
    Erase,
}

/// <summary>One resource's change to the full-text index (text only for Insert and Replace).</summary>
/// <param name="RescanAfter">For Erase: the newest rid left after the erasure (rids above it may be reused).</param>
internal readonly record struct TextChange(long Sid, TextOp Op, string? Narrative, string? Content, long RescanAfter = 0);
