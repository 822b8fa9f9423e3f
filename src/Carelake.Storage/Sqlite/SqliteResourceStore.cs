using System.Collections.Concurrent;
using System.Globalization;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// The embedded storage provider: one SQLite file in WAL mode. One writer connection with group commit
/// (<see cref="SqliteWriter"/>); readers use their own pooled connections and never block the writer.
/// </summary>
public sealed class SqliteResourceStore : IResourceStore, IJobStore
{
    private readonly SqliteOptions _options;
    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private SqliteConnection? _writerConnection;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _checkpointer;
    private SqliteWriter? _writer;

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
        _writer = new SqliteWriter(connection, _options.MaxUnitsPerCommit);
        _checkpointer = Task.Run(() => CheckpointLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.FromResult<IReadOnlyDictionary<(string Type, string Code), int>>(ids);
    }

    public Task<ResourceVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken) =>
        WithReaderAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT r.version, r.last_updated, r.deleted, v.method, v.payload FROM resource r JOIN resource_version v ON v.rid = r.rid WHERE r.type = $t AND r.id = $i";
            command.Parameters.AddWithValue("$t", type);
            command.Parameters.AddWithValue("$i", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadVersion(reader, type, id, 0) : null;
        });

    public Task<ResourceVersion?> ReadVersionAsync(string type, string id, long version, CancellationToken cancellationToken) =>
        WithReaderAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT v.version, v.last_updated, v.payload IS NULL, v.method, v.payload FROM resource r JOIN resource_version v ON v.sid = r.sid WHERE r.type = $t AND r.id = $i AND v.version = $v";
            command.Parameters.AddWithValue("$t", type);
            command.Parameters.AddWithValue("$i", id);
            command.Parameters.AddWithValue("$v", version);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadVersion(reader, type, id, 0) : null;
        });

    public Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken) =>
        (_writer ?? throw new InvalidOperationException("The store is not initialised.")).CommitAsync(writes, cancellationToken);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken) =>
        WithReaderAsync(connection =>
        {
            var resources = new List<ResourceVersion>(Math.Min(query.Count, 1000));
            var sids = new List<long>();
            var keys = new List<object[]>();
            string? next = null;
            string? previous = null;
            if (!query.CountOnly)
            {
                var cursor = SearchCursor.Parse(query.Cursor, query.Sort.Count);
                var (sql, parameters) = SqliteSearchSql.BuildPage(query, cursor, query.Count + 1, ChainIntoContained(connection, query), WideChains(connection, query), SingleSystems(connection, query));
                var more = false;
                using (var command = connection.CreateCommand())
                {
                    command.CommandText = sql;
                    command.Parameters.AddRange(parameters);
                    using var reader = command.ExecuteReader();
                    while (reader.Read())
                    {
                        if (resources.Count == query.Count)
                        {
                            more = true;
                            break;
                        }

                        sids.Add(reader.GetInt64(0));
                        var rowKeys = new object[query.Sort.Count];
                        for (var i = 0; i < query.Sort.Count; i++)
                        {
                            rowKeys[i] = reader.GetValue(7 + i);
                        }

                        keys.Add(rowKeys);
                        var row = new ResourceVersion(
                            reader.GetString(6),
                            reader.GetString(1),
                            reader.GetInt64(2),
                            new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero),
                            false,
                            reader.GetString(4),
                            (byte[])reader.GetValue(5));
                        if (query.ReturnContained && !reader.IsDBNull(7))
                        {
                            row = row with { Json = ContainedJson.Extract(row.Json!, row.Id), Container = reader.GetString(7) };
                        }

                        resources.Add(row);
                    }
                }

                if (cursor.Backward)
                {
                    resources.Reverse();
                    sids.Reverse();
                    keys.Reverse();
                }

                // Forward: more rows after → next; a cursor means rows before → previous. Backward: the mirror image.
                var hasNext = resources.Count > 0 && (cursor.Backward || more);
                var hasPrevious = cursor.Backward ? more : query.Cursor is not null && resources.Count > 0;
                if (hasNext)
                {
                    next = SearchCursor.Format(sids[^1], keys[^1]);
                }

                if (hasPrevious)
                {
                    previous = SearchCursor.Format(sids[0], keys[0], backward: true);
                }
            }

            long? total = null;
            if (query.IncludeTotal || query.CountOnly)
            {
                var (countSql, countParameters) = SqliteSearchSql.BuildCount(query, ChainIntoContained(connection, query));
                using var count = connection.CreateCommand();
                count.CommandText = countSql;
                count.Parameters.AddRange(countParameters);
                total = (long)count.ExecuteScalar()!;
            }

            var included = query.Includes.Count + query.RevIncludes.Count > 0 && resources.Count > 0
                ? SqliteIncludes.Load(connection, query, sids, resources)
                : [];
            return new SearchPage(resources, next, total, included) { PreviousCursor = previous };
        });

    /// <summary>Targets a chain may have and still drive a search (its referrers are listed before the page is read).</summary>
    private const int NarrowChainTargets = 100;

    /// <summary>
    /// Chains with more than <see cref="NarrowChainTargets"/> targets, when another criterion could drive instead.
    /// One bounded count per chain decides between listing the chain's referrers and probing each candidate row.
    /// </summary>
    private static HashSet<SearchCriterion>? WideChains(SqliteConnection connection, SearchQuery query)
    {
        if (query.Criteria.Count < 2 || !query.Criteria.Any(c => c.Chain is not null) || query.Criteria.All(c => c.Chain is not null))
        {
            return null;
        }

        var wide = new HashSet<SearchCriterion>(ReferenceEqualityComparer.Instance);
        foreach (var criterion in query.Criteria.Where(c => c.Chain is not null))
        {
            var (sql, parameters) = SqliteSearchSql.BuildChainTargetProbe(criterion, NarrowChainTargets + 1);
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddRange(parameters);
            if ((long)command.ExecuteScalar()! > NarrowChainTargets)
            {
                wide.Add(criterion);
            }
        }

        return wide;
    }

    /// <summary>
    /// For tokens searched by code alone (<c>gender=female</c>, <c>class=IMP</c>): the one system the code is stored
    /// under, when there is just one, so the search can read that code's index rows in sid order (streamed).
    /// </summary>
    private static Dictionary<SearchCriterion, string?>? SingleSystems(SqliteConnection connection, SearchQuery query)
    {
        Dictionary<SearchCriterion, string?>? found = null;
        foreach (var criterion in query.Criteria)
        {
            if (criterion is not { Modifier: SearchModifier.None, Chain: null, Has: null, Values: [TokenSearchValue { System: null, Code: { } code }], Parameter: { Type: Hl7.Fhir.Model.SearchParamType.Token } parameter })
            {
                continue;
            }

            using var command = connection.CreateCommand();
            command.Parameters.AddWithValue("$param", parameter.Id);
            command.Parameters.AddWithValue("$code", code);
            command.CommandText = SqliteSearchSql.FirstSystemSql;
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                {
                    continue;
                }

                var first = reader.IsDBNull(0) ? null : reader.GetString(0);
                reader.Close();
                if (first is null)
                {
                    command.CommandText = SqliteSearchSql.NonNullSystemSql;
                }
                else
                {
                    command.CommandText = SqliteSearchSql.OtherSystemSql;
                    command.Parameters.AddWithValue("$system", first);
                }

                if ((long)command.ExecuteScalar()! == 0)
                {
                    (found ??= new Dictionary<SearchCriterion, string?>(ReferenceEqualityComparer.Instance))[criterion] = first;
                }
            }
        }

        return found;
    }

    /// <summary>Whether chains must also look into contained resources: only when the query chains and any are stored.</summary>
    private static bool ChainIntoContained(SqliteConnection connection, SearchQuery query)
    {
        if (!query.Criteria.Any(c => c.Chain is not null || c.Has is not null))
        {
            return false;
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM contained_resource)";
        return (long)command.ExecuteScalar()! != 0;
    }

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken) =>
        WithReaderAsync(connection =>
        {
            using var command = connection.CreateCommand();
            var sql = new System.Text.StringBuilder(
                "SELECT v.rid, r.type, r.id, v.version, v.last_updated, v.payload IS NULL, v.method, v.payload FROM resource_version v JOIN resource r ON r.sid = v.sid WHERE 1 = 1");
            if (query.Type is not null)
            {
                sql.Append(" AND r.type = $t");
                command.Parameters.AddWithValue("$t", query.Type);
            }

            if (query.Id is not null)
            {
                sql.Append(" AND r.id = $i");
                command.Parameters.AddWithValue("$i", query.Id);
            }

            if (query.Since is { } since)
            {
                sql.Append(" AND v.last_updated >= $since");
                command.Parameters.AddWithValue("$since", since.UtcTicks);
            }

            if (query.At is { } at)
            {
                // _at: the versions current at that instant — the newest version of each resource at or before it.
                sql.Append(" AND v.version = (SELECT MAX(v2.version) FROM resource_version v2 WHERE v2.sid = v.sid AND v2.last_updated <= $at)");
                command.Parameters.AddWithValue("$at", at.UtcTicks);
            }

            if (query.BeforeVersionRow is { } before)
            {
                sql.Append(" AND v.rid < $before");
                command.Parameters.AddWithValue("$before", before);
            }

            sql.Append(" ORDER BY v.rid DESC LIMIT $limit");
            command.Parameters.AddWithValue("$limit", query.Count + 1);
            command.CommandText = sql.ToString();
            var versions = new List<ResourceVersion>();
            long lastRid = 0;
            var hasMore = false;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (versions.Count == query.Count)
                {
                    hasMore = true;
                    break;
                }

                lastRid = reader.GetInt64(0);
                versions.Add(ReadVersion(reader, reader.GetString(1), reader.GetString(2), 3));
            }

            return new HistoryPage(versions, hasMore ? lastRid : null);
        });

    public Task<IReadOnlyDictionary<string, long>> CountByTypeAsync(CancellationToken cancellationToken) =>
        WithReaderAsync<IReadOnlyDictionary<string, long>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT type, COUNT(*) FROM resource WHERE deleted = 0 GROUP BY type ORDER BY type";
            using var reader = command.ExecuteReader();
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            while (reader.Read())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }

            return counts;
        });

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
        WithReaderAsync<IReadOnlyDictionary<(string Type, string Code), string>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT resource_type, code, url FROM search_param";
            using var reader = command.ExecuteReader();
            var urls = new Dictionary<(string Type, string Code), string>();
            while (reader.Read())
            {
                urls[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
            }

            return urls;
        });

    public Task<IReadOnlyList<(long Sid, ResourceVersion Resource)>> ScanAsync(long afterSid, IReadOnlyList<string> types, int limit, CancellationToken cancellationToken) =>
        WithReaderAsync<IReadOnlyList<(long Sid, ResourceVersion Resource)>>(connection =>
        {
            using var command = connection.CreateCommand();
            var sql = new System.Text.StringBuilder("SELECT r.sid, r.type, r.id, r.version, r.last_updated, v.method, v.payload FROM resource r JOIN resource_version v ON v.rid = r.rid WHERE r.sid > $after AND r.deleted = 0");
            command.Parameters.AddWithValue("$after", afterSid);
            if (types.Count > 0)
            {
                sql.Append(" AND r.type IN (");
                for (var i = 0; i < types.Count; i++)
                {
                    sql.Append(i == 0 ? "$t" : ", $t").Append(i);
                    command.Parameters.AddWithValue("$t" + i, types[i]);
                }

                sql.Append(')');
            }

            sql.Append(" ORDER BY r.sid LIMIT $limit");
            command.Parameters.AddWithValue("$limit", limit);
            command.CommandText = sql.ToString();
            var rows = new List<(long, ResourceVersion)>(limit);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), new ResourceVersion(reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero), false, reader.GetString(5), (byte[])reader.GetValue(6))));
            }

            return rows;
        });

    public Task<IReadOnlyList<(int ParamId, string? System, string Value)>> DistinctValuesAsync(IReadOnlyList<SearchParameterInfo> parameters, string? type, int limit, CancellationToken cancellationToken) =>
        WithReaderAsync<IReadOnlyList<(int, string?, string)>>(connection =>
        {
            var values = new List<(int, string?, string)>();
            foreach (var parameter in parameters)
            {
                using var command = connection.CreateCommand();
                var (table, columns) = parameter.Type == Hl7.Fhir.Model.SearchParamType.Uri ? ("idx_uri", "NULL, x.uri") : ("idx_token", "x.system, x.code");
                command.CommandText = $"SELECT DISTINCT {columns} FROM {table} x" + (type is null ? string.Empty : " JOIN resource r ON r.sid = x.sid AND r.type = $type")
                    + " WHERE x.param_id = $param AND x.sid > 0 LIMIT $limit";
                command.Parameters.AddWithValue("$param", parameter.Id);
                command.Parameters.AddWithValue("$limit", limit);
                if (type is not null)
                {
                    command.Parameters.AddWithValue("$type", type);
                }

                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (!reader.IsDBNull(1))
                    {
                        values.Add((parameter.Id, reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1)));
                    }
                }
            }

            return values;
        });

    public async Task<long> EraseAsync(string type, string id, CancellationToken cancellationToken)
    {
        var result = await (_writer ?? throw new InvalidOperationException("The store is not initialised.")).EraseAsync(type, id, cancellationToken);
        return result.ActualVersion;
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
        WithReaderAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = JobColumns + " WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadJob(reader) : null;
        });

    public Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken cancellationToken) =>
        WithReaderAsync<IReadOnlyList<JobRecord>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = JobColumns + " ORDER BY created DESC LIMIT $limit";
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            var jobs = new List<JobRecord>();
            while (reader.Read())
            {
                jobs.Add(ReadJob(reader));
            }

            return jobs;
        });

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

    private const string JobColumns = "SELECT id, kind, status, request, cursor, processed, total, created, updated, error FROM job";

    private static JobRecord ReadJob(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetInt64(4),
        reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetInt64(6),
        new DateTimeOffset(reader.GetInt64(7), TimeSpan.Zero),
        new DateTimeOffset(reader.GetInt64(8), TimeSpan.Zero),
        reader.IsDBNull(9) ? null : reader.GetString(9));

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
                if (wal.Exists && wal.Length > 256L * 1024 * 1024)
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

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_checkpointer is not null)
        {
            await _checkpointer;
        }

        _stopping.Dispose();
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

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

    private static ResourceVersion ReadVersion(SqliteDataReader reader, string type, string id, int first)
    {
        var deleted = reader.GetInt64(first + 2) != 0;
        return new ResourceVersion(
            type,
            id,
            reader.GetInt64(first),
            new DateTimeOffset(reader.GetInt64(first + 1), TimeSpan.Zero),
            deleted,
            reader.GetString(first + 3),
            reader.IsDBNull(first + 4) ? null : (byte[])reader.GetValue(first + 4));
    }

    private async Task<T> WithReaderAsync<T>(Func<SqliteConnection, T> work)
    {
        if (!_readers.TryTake(out var connection))
        {
            connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync();
            Execute(connection, "PRAGMA busy_timeout = 30000");
            Execute(connection, "PRAGMA cache_size = -32768");
        }

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
