using System.Collections.Concurrent;
using Carelake.Core.Audit;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Storage.SearchSql;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// The embedded storage provider: one SQLite file in WAL mode. One writer connection with group commit
/// (<see cref="SqliteWriter"/>); readers use their own pooled connections and never block the writer.
/// </summary>
public sealed class SqliteResourceStore : IResourceStore, IJobStore, IAuditOutbox
{
    private readonly SqliteOptions _options;
    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private SqliteConnection? _writerConnection;
    private readonly CancellationTokenSource _stopping = new();
    // Erasures committed, and how many of them a truncating checkpoint has covered (the checkpointer retries until equal).
    private long _erasures;
    private long _truncatedThrough;
    private Task? _checkpointer;
    private SqliteWriter? _writer;
    private SqliteAuditJournal? _journal;
    private SqliteTextIndex? _text;
    private Task? _mover;

    /// <summary>
    /// How often journaled audit records are chained when no data write does it first (each is one commit to the
    /// main file, and every commit empties the readers' page caches: rarely, but often enough that the trail is current).
    /// </summary>
    private static readonly TimeSpan MoveInterval = TimeSpan.FromSeconds(1);

    public SqliteResourceStore(SqliteOptions options)
    {
        _options = options;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string ProviderName => "sqlite";

    public Task<IReadOnlyDictionary<(string Type, string Code), int>> InitializeAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(_options.Path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, $"PRAGMA synchronous = {SynchronousLevel(_options.Synchronous)}");
        Execute(connection, "PRAGMA busy_timeout = 30000");
        // The writer touches few pages per commit; a small cache is cheaper to reset at every COMMIT.
        Execute(connection, "PRAGMA cache_size = -16384");
        Execute(connection, "PRAGMA temp_store = MEMORY");
        // Checkpoints run in the background (see StartCheckpointer), never inside a client's commit.
        Execute(connection, "PRAGMA wal_autocheckpoint = 0");
        // Deleted cells are zeroed in pages written anyway (no extra I/O): values updated away do not linger.
        Execute(connection, "PRAGMA secure_delete = FAST");
        SqliteMigrations.Apply(connection);
        var ids = AssignParameterIds(connection, parameters, updateUrls: false);
        _writerConnection = connection;
        _journal = SqliteAuditJournal.Open(_options.Path, fsync: _options.FsyncAuditRecords, out var leftOver, out var leftOverFiles);
        ChainLeftOver(connection, leftOver);
        foreach (var file in leftOverFiles)
        {
            File.Delete(file);
        }

        try
        {
            _text = SqliteTextIndex.Open(connection, _options.Path, SynchronousLevel(_options.Synchronous));
        }
        catch (SqliteException)
        {
            // A damaged index file: it is derived data, so it is rebuilt from the resources (a second failure, such as
            // a full disk, stops the start with the error).
            SqliteTextIndex.DeleteFiles(_options.Path);
            _text = SqliteTextIndex.Open(connection, _options.Path, SynchronousLevel(_options.Synchronous));
        }

        _writer = new SqliteWriter(connection, _options.MaxUnitsPerCommit, _text, FullTextMatches, _journal);
        _text.Start();
        _checkpointer = Task.Run(() => CheckpointLoopAsync(_stopping.Token), CancellationToken.None);
        _mover = Task.Run(() => MoveLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.FromResult<IReadOnlyDictionary<(string Type, string Code), int>>(ids);
    }

    public Task<ResourceVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken) =>
        WithReaderAsync(connection => SqlReads.Read(connection, SqlDialect.Sqlite, type, id));

    public Task<ResourceVersion?> ReadVersionAsync(string type, string id, long version, CancellationToken cancellationToken) =>
        WithReaderAsync(connection => SqlReads.ReadVersion(connection, SqlDialect.Sqlite, type, id, version));

    public Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken) =>
        (_writer ?? throw new InvalidOperationException("The store is not initialised.")).CommitAsync(writes, cancellationToken);

    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        if (SqliteTextIndex.IsUsedBy(query))
        {
            // The index lags the writer by a few milliseconds: wait until it holds every write committed before now.
            await (_text ?? throw new InvalidOperationException("The store is not initialised.")).CatchUpAsync().WaitAsync(cancellationToken);
        }

        return await WithReaderAsync(connection => SqlReads.Search(connection, SqlDialect.Sqlite, query));
    }

    /// <summary>A full-text condition of a conditional write, tested on the writer's thread against committed resources.</summary>
    private bool FullTextMatches(SearchQuery condition)
    {
        _text!.CatchUpAsync().GetAwaiter().GetResult();
        var connection = TakeReader();
        try
        {
            using var transaction = connection.BeginTransaction(deferred: true);
            var matches = SqlReads.Matches(connection, transaction, SqlDialect.Sqlite, condition);
            transaction.Commit();
            _readers.Add(connection);
            return matches;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken) =>
        WithReaderAsync(connection => SqlReads.History(connection, SqlDialect.Sqlite, query));

    public Task<IReadOnlyDictionary<string, long>> CountByTypeAsync(CancellationToken cancellationToken) =>
        WithReaderAsync(SqlReads.CountByType);

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) =>
        _writer is null
            ? Task.FromResult(false)
            : WithReaderAsync(connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM schema_migration";
                return (long)command.ExecuteScalar()! > 0;
            });

    public async Task<IReadOnlyDictionary<(string Type, string Code), int>> RegisterSearchParametersAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenWriteConnectionAsync(cancellationToken);
        return AssignParameterIds(connection, parameters, updateUrls: true);
    }

    public Task<IReadOnlyDictionary<(string Type, string Code), string>> RegisteredSearchParameterUrlsAsync(CancellationToken cancellationToken) =>
        WithReaderAsync<IReadOnlyDictionary<(string Type, string Code), string>>(connection => SqlReads.RegisteredSearchParameterUrls(connection));

    public Task<IReadOnlyList<(long Sid, ResourceVersion Resource)>> ScanAsync(long afterSid, IReadOnlyList<string> types, int limit, CancellationToken cancellationToken) =>
        WithReaderAsync(connection => SqlReads.Scan(connection, SqlDialect.Sqlite, afterSid, types, limit));

    public Task<IReadOnlyList<(int ParamId, string? System, string Value)>> DistinctValuesAsync(IReadOnlyList<SearchParameterInfo> parameters, string? type, int limit, CancellationToken cancellationToken) =>
        WithReaderAsync(connection => SqlReads.DistinctValues(connection, SqlDialect.Sqlite, parameters, type, limit));

    public async Task<long> EraseAsync(string type, string id, CancellationToken cancellationToken)
    {
        var result = await (_writer ?? throw new InvalidOperationException("The store is not initialised.")).EraseAsync(type, id, cancellationToken);
        if (result.Succeeded)
        {
            // The erased rows' old frames stay in the WAL until a checkpoint truncates it: do that before answering,
            // so the erasure is complete in the files. Not cancellable: the erasure has committed and its audit
            // record comes after this.
            var erasure = Interlocked.Increment(ref _erasures);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref _truncatedThrough) < erasure && !await TryTruncateAfterErasuresAsync() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }

        return result.ActualVersion;
    }

    /// <summary>
    /// A truncating checkpoint of the main file's WAL, covering every erasure committed before it starts. It holds the
    /// write lock while it waits for readers of older snapshots, so it waits at most 50 ms (the writer waits as long)
    /// and is tried again rather than stalling writes behind a long search.
    /// </summary>
    private async Task<bool> TryTruncateAfterErasuresAsync()
    {
        var covered = Volatile.Read(ref _erasures);
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(CancellationToken.None);
        Execute(connection, "PRAGMA busy_timeout = 50");
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        try
        {
            using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
            // One row: busy (1 when it could not finish), WAL frames, frames checkpointed.
            if (!await reader.ReadAsync(CancellationToken.None) || reader.GetInt64(0) != 0)
            {
                return false;
            }
        }
        catch (SqliteException)
        {
            return false;
        }

        for (var seen = Volatile.Read(ref _truncatedThrough); seen < covered; seen = Volatile.Read(ref _truncatedThrough))
        {
            if (Interlocked.CompareExchange(ref _truncatedThrough, covered, seen) == seen)
            {
                break;
            }
        }

        return true;
    }

    public Task ReplaceIndexesAsync(IReadOnlyList<IndexReplacement> items, CancellationToken cancellationToken) =>
        (_writer ?? throw new InvalidOperationException("The store is not initialised.")).ReplaceIndexesAsync(items, cancellationToken);

    public async Task<JobRecord> EnqueueAsync(string kind, string request, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow.UtcTicks;
        await using var connection = await OpenWriteConnectionAsync(cancellationToken);
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO job (id, kind, status, request, created, updated) VALUES ($id, $kind, 'queued', $request, $now, $now)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$request", request);
        command.Parameters.AddWithValue("$now", now);
        command.ExecuteNonQuery();
        return (await GetAsync(id, cancellationToken))!;
    }

    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken) =>
        WithReaderAsync(connection => SqlReads.GetJob(connection, SqlDialect.Sqlite, id));

    public Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken cancellationToken) =>
        WithReaderAsync(connection => SqlReads.ListJobs(connection, SqlDialect.Sqlite, limit));

    public async Task<JobRecord?> ClaimNextAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenWriteConnectionAsync(cancellationToken);
        using var transaction = connection.BeginTransaction(deferred: false);
        string? id;
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT id FROM job WHERE status IN ('queued', 'running') ORDER BY created LIMIT 1";
            id = select.ExecuteScalar() as string;
        }

        if (id is null)
        {
            return null;
        }

        using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE job SET status = 'running', updated = $now WHERE id = $id";
            update.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.UtcTicks);
            update.Parameters.AddWithValue("$id", id);
            update.ExecuteNonQuery();
        }

        transaction.Commit();
        return await GetAsync(id, cancellationToken);
    }

    public async Task UpdateProgressAsync(string id, long cursor, long processed, long? total, CancellationToken cancellationToken)
    {
        await using var connection = await OpenWriteConnectionAsync(cancellationToken);
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE job SET cursor = $cursor, processed = $processed, total = $total, updated = $now WHERE id = $id";
        command.Parameters.AddWithValue("$cursor", cursor);
        command.Parameters.AddWithValue("$processed", processed);
        command.Parameters.AddWithValue("$total", (object?)total ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.UtcTicks);
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    public async Task FinishAsync(string id, string status, string? failure, CancellationToken cancellationToken)
    {
        await using var connection = await OpenWriteConnectionAsync(cancellationToken);
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE job SET status = $status, error = $error, updated = $now WHERE id = $id";
        command.Parameters.AddWithValue("$status", status);
        command.Parameters.AddWithValue("$error", (object?)failure ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.UtcTicks);
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    /// <summary>A short-lived connection for small administrative writes (jobs, parameter registration); busy_timeout waits for the writer.</summary>
    private async Task<SqliteConnection> OpenWriteConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        Execute(connection, "PRAGMA busy_timeout = 30000");
        Execute(connection, $"PRAGMA synchronous = {SynchronousLevel(_options.Synchronous)}");
        return connection;
    }

    /// <summary>
    /// Copies committed WAL frames into the database file every second without blocking readers or the writer
    /// (PASSIVE), and truncates the WAL when it has grown large and nobody is reading.
    /// </summary>
    private async Task CheckpointLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 1000");
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                Execute(connection, "PRAGMA wal_checkpoint(PASSIVE)");
                var wal = new FileInfo(_options.Path + "-wal");
                if (Volatile.Read(ref _truncatedThrough) < Volatile.Read(ref _erasures))
                {
                    await TryTruncateAfterErasuresAsync();
                }
                else if (wal.Exists && wal.Length > 256L * 1024 * 1024)
                {
                    Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SqliteException)
            {
                // Busy: try again at the next tick.
            }
        }
    }

    internal SqliteAuditJournal? AuditJournal => _journal;

    internal SqliteTextIndex? TextIndex => _text;

    /// <summary>Audit records in the journal files of a database, not yet chained (for <c>audit verify</c>).</summary>
    public static long JournaledAuditRecords(string databasePath) => SqliteAuditJournal.CountJournaled(databasePath);

    public Task AppendAuditAsync(ResourceWrite record, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return (_journal ?? throw new InvalidOperationException("The store is not initialised.")).AppendAsync(record);
    }

    /// <summary>Chains every record journaled so far (before the trail is read or signed).</summary>
    public async Task FlushAuditOutboxAsync(CancellationToken cancellationToken)
    {
        if (_journal is { UnchainedCount: > 0 } && _writer is not null)
        {
            await _writer.ChainJournalAsync().WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Records a previous run journaled but did not chain (it crashed): chained before the writer starts, in journal
    /// order, skipping those already chained (a crash between the chain's COMMIT and the journal's deletion).
    /// </summary>
    private static void ChainLeftOver(SqliteConnection connection, IReadOnlyList<ResourceWrite> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        using var exists = connection.CreateCommand();
        exists.Transaction = transaction;
        exists.CommandText = "SELECT 1 FROM audit_event WHERE id = $id";
        var id = exists.Parameters.Add(new SqliteParameter("$id", null));
        using var appender = new SqliteAuditAppender(connection);
        appender.Begin(transaction);
        foreach (var record in records)
        {
            id.Value = record.Id;
            if (exists.ExecuteScalar() is null)
            {
                appender.Append(record);
            }
        }

        appender.Flush();
        transaction.Commit();
    }

    private async Task MoveLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(MoveInterval, cancellationToken);
                await FlushAuditOutboxAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is SqliteException or InvalidOperationException or ObjectDisposedException)
            {
                // The records stay in the journal (durable); the next round, or the next start, chains them.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_checkpointer is not null)
        {
            await _checkpointer;
        }

        if (_mover is not null)
        {
            await _mover;
            // Graceful shutdown: what the journal still holds joins the chain before the writer drains and stops.
            try
            {
                await FlushAuditOutboxAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is SqliteException or InvalidOperationException or ObjectDisposedException)
            {
                // Left in the journal: chained at the next start.
            }
        }

        _stopping.Dispose();
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync();
            }
        }
        finally
        {
            if (_text is not null)
            {
                await _text.DisposeAsync();
            }
        }

        _journal?.Dispose();
        if (_writerConnection is not null)
        {
            // Fold the WAL back into the main file on clean shutdown so a copied .db file is complete.
            Execute(_writerConnection, "PRAGMA wal_checkpoint(TRUNCATE)");
            await _writerConnection.DisposeAsync();
        }

        while (_readers.TryTake(out var reader))
        {
            await reader.DisposeAsync();
        }
    }

    private SqliteConnection TakeReader()
    {
        if (_readers.TryTake(out var connection))
        {
            return connection;
        }

        connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 30000");
        Execute(connection, "PRAGMA cache_size = -32768");
        SqliteTextIndex.Attach(connection, _options.Path);
        return connection;
    }

    private async Task<T> WithReaderAsync<T>(Func<SqliteConnection, T> work)
    {
        var connection = TakeReader();
        try
        {
            var result = work(connection);
            _readers.Add(connection);
            return result;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static Dictionary<(string Type, string Code), int> AssignParameterIds(SqliteConnection connection, IReadOnlyList<SearchParameterInfo> parameters, bool updateUrls)
    {
        var ids = new Dictionary<(string Type, string Code), int>();
        using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT param_id, resource_type, code FROM search_param";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                ids[(reader.GetString(1), reader.GetString(2))] = reader.GetInt32(0);
            }
        }

        var urls = new Dictionary<(string Type, string Code), string>();
        using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT resource_type, code, url FROM search_param";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                urls[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
            }
        }

        var changed = parameters.Where(p => updateUrls && urls.TryGetValue((p.StorageKey, p.Code), out var url) && url != p.Url).DistinctBy(p => (p.StorageKey, p.Code)).ToList();
        foreach (var parameter in changed)
        {
            // A custom definition replacing another under the same code keeps the id; its rows are rebuilt by $reindex.
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE search_param SET url = $u, kind = $k WHERE resource_type = $t AND code = $c";
            update.Parameters.AddWithValue("$u", parameter.Url);
            update.Parameters.AddWithValue("$k", parameter.Type.ToString().ToLowerInvariant());
            update.Parameters.AddWithValue("$t", parameter.StorageKey);
            update.Parameters.AddWithValue("$c", parameter.Code);
            update.ExecuteNonQuery();
        }

        var missing = parameters.Where(p => !ids.ContainsKey((p.StorageKey, p.Code))).DistinctBy(p => (p.StorageKey, p.Code)).ToList();
        if (missing.Count > 0)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO search_param (resource_type, code, kind, url) VALUES ($t, $c, $k, $u) RETURNING param_id";
            var t = insert.Parameters.Add("$t", SqliteType.Text);
            var c = insert.Parameters.Add("$c", SqliteType.Text);
            var k = insert.Parameters.Add("$k", SqliteType.Text);
            var u = insert.Parameters.Add("$u", SqliteType.Text);
            foreach (var parameter in missing)
            {
                t.Value = parameter.StorageKey;
                c.Value = parameter.Code;
                k.Value = parameter.Type.ToString().ToLowerInvariant();
                u.Value = parameter.Url;
                ids[(parameter.StorageKey, parameter.Code)] = (int)(long)insert.ExecuteScalar()!;
            }

            transaction.Commit();
        }

        return ids;
    }

    private static string SynchronousLevel(string value) => value.ToUpperInvariant() switch
    {
        "FULL" => "FULL",
        "NORMAL" => "NORMAL",
        "EXTRA" => "EXTRA",
        _ => throw new ArgumentException($"Unknown SQLite synchronous level '{value}' (FULL, NORMAL or EXTRA)."),
    };

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
