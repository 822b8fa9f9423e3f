using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Storage.SearchSql;
using Npgsql;

namespace Carelake.Storage.Postgres;

/// <summary>
/// The scale-out storage provider: the same tables and search SQL as SQLite (<see cref="SqlReads"/>) on PostgreSQL,
/// for any number of stateless nodes on one database. Nothing is kept in memory that another node would need.
/// A database that cannot be reached (restart, failover, exhausted pool) surfaces as a 503 FhirException.
/// </summary>
public sealed class PostgresResourceStore : IResourceStore, IJobStore
{
    /// <summary>A job marked running whose node has not touched it for this long is taken over by another node.</summary>
    private static readonly TimeSpan JobLease = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresWriter _writer;
    private bool _initialized;

    public PostgresResourceStore(PostgresOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (!options.ConnectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase) && !options.ConnectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxPoolSize = options.MaxPoolSize;
        }

        if (!options.ConnectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = options.ConnectTimeoutSeconds;
        }

        builder.ApplicationName ??= "carelake";
        _dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        _writer = new PostgresWriter(_dataSource, options);
    }

    public string ProviderName => "postgres";

    /// <summary>Applies pending migrations (under an advisory lock); returns the names of the scripts applied.</summary>
    public Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await PostgresMigrations.ApplyAsync(connection, cancellationToken);
        });

    public async Task<IReadOnlyDictionary<(string Type, string Code), int>> InitializeAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        var ids = await AssignParameterIdsAsync(parameters, updateUrls: false, cancellationToken);
        _initialized = true;
        return ids;
    }

    public Task<ResourceVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.Read(connection, SqlDialect.Postgres, type, id), cancellationToken);

    public Task<ResourceVersion?> ReadVersionAsync(string type, string id, long version, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.ReadVersion(connection, SqlDialect.Postgres, type, id, version), cancellationToken);

    public Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken) =>
        GuardAsync(() => _writer.CommitAsync(writes, cancellationToken));

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.Search(connection, SqlDialect.Postgres, query), cancellationToken);

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.History(connection, SqlDialect.Postgres, query), cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> CountByTypeAsync(CancellationToken cancellationToken) =>
        ReadAsync(SqlReads.CountByType, cancellationToken);

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            return false;
        }

        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            return false;
        }
    }

    public Task<IReadOnlyDictionary<(string Type, string Code), int>> RegisterSearchParametersAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken) =>
        AssignParameterIdsAsync(parameters, updateUrls: true, cancellationToken);

    public Task<IReadOnlyDictionary<(string Type, string Code), string>> RegisteredSearchParameterUrlsAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyDictionary<(string Type, string Code), string>>(connection => SqlReads.RegisteredSearchParameterUrls(connection), cancellationToken);

    public Task<IReadOnlyList<(long Sid, ResourceVersion Resource)>> ScanAsync(long afterSid, IReadOnlyList<string> types, int limit, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.Scan(connection, SqlDialect.Postgres, afterSid, types, limit), cancellationToken);

    public Task ReplaceIndexesAsync(IReadOnlyList<IndexReplacement> items, CancellationToken cancellationToken) =>
        GuardAsync(() => _writer.ReplaceIndexesAsync(items, cancellationToken));

    public Task<IReadOnlyList<(int ParamId, string? System, string Value)>> DistinctValuesAsync(IReadOnlyList<SearchParameterInfo> parameters, string? type, int limit, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.DistinctValues(connection, SqlDialect.Postgres, parameters, type, limit), cancellationToken);

    public async Task<long> EraseAsync(string type, string id, CancellationToken cancellationToken)
    {
        var result = await GuardAsync(() => _writer.EraseAsync(type, id, cancellationToken));
        if (result.ActualVersion > 0)
        {
            // Dead tuples of the erased rows stay in the heap until vacuumed; do it now rather than at autovacuum's leisure.
            await GuardAsync(async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var vacuum = new NpgsqlCommand("VACUUM resource, resource_version, resource_text, idx_string, idx_token, idx_reference, idx_date, idx_number, idx_quantity, idx_uri, idx_composite, contained_resource", connection);
                await vacuum.ExecuteNonQueryAsync(cancellationToken);
                return 0;
            });
        }

        return result.ActualVersion;
    }

    public Task<JobRecord> EnqueueAsync(string kind, string request, CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            var id = Guid.NewGuid().ToString("N");
            await ExecuteAsync("INSERT INTO job (id, kind, status, request, created, updated) VALUES (@id, @kind, 'queued', @request, @now, @now)",
                cancellationToken, ("id", id), ("kind", kind), ("request", request), ("now", DateTimeOffset.UtcNow.UtcTicks));
            return (await GetAsync(id, cancellationToken))!;
        });

    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.GetJob(connection, SqlDialect.Postgres, id), cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken cancellationToken) =>
        ReadAsync(connection => SqlReads.ListJobs(connection, SqlDialect.Postgres, limit), cancellationToken);

    /// <summary>
    /// The oldest queued job, or a running one whose node stopped updating it (crashed or stopped): claimed with
    /// SKIP LOCKED so two nodes polling at once never take the same job.
    /// </summary>
    public Task<JobRecord?> ClaimNextAsync(CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            var now = DateTimeOffset.UtcNow;
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var claim = new NpgsqlCommand(
                "UPDATE job SET status = 'running', updated = @now WHERE id = (SELECT id FROM job WHERE status = 'queued' OR (status = 'running' AND updated < @stale) " +
                "ORDER BY created LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id", connection);
            claim.Parameters.AddWithValue("now", now.UtcTicks);
            claim.Parameters.AddWithValue("stale", (now - JobLease).UtcTicks);
            return await claim.ExecuteScalarAsync(cancellationToken) is string id ? SqlReads.GetJob(connection, SqlDialect.Postgres, id) : null;
        });

    public Task UpdateProgressAsync(string id, long cursor, long processed, long? total, CancellationToken cancellationToken) =>
        GuardAsync(() => ExecuteAsync("UPDATE job SET cursor = @cursor, processed = @processed, total = @total, updated = @now WHERE id = @id", cancellationToken,
            ("cursor", cursor), ("processed", processed), ("total", total), ("now", DateTimeOffset.UtcNow.UtcTicks), ("id", id)));

    public Task FinishAsync(string id, string status, string? failure, CancellationToken cancellationToken) =>
        GuardAsync(() => ExecuteAsync("UPDATE job SET status = @status, error = @error, updated = @now WHERE id = @id", cancellationToken,
            ("status", status), ("error", failure), ("now", DateTimeOffset.UtcNow.UtcTicks), ("id", id)));

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>
    /// Ids for (type, code) pairs, inserting the missing ones. ON CONFLICT makes concurrent registration by several
    /// nodes safe: whoever inserts second reads the first one's id.
    /// </summary>
    private Task<IReadOnlyDictionary<(string Type, string Code), int>> AssignParameterIdsAsync(IReadOnlyList<SearchParameterInfo> parameters, bool updateUrls, CancellationToken cancellationToken) =>
        GuardAsync<IReadOnlyDictionary<(string Type, string Code), int>>(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var ids = await ParameterIdsAsync(connection, cancellationToken);
            var distinct = parameters.DistinctBy(p => (p.StorageKey, p.Code)).ToList();
            if (updateUrls)
            {
                var urls = SqlReads.RegisteredSearchParameterUrls(connection);
                foreach (var parameter in distinct.Where(p => urls.TryGetValue((p.StorageKey, p.Code), out var url) && url != p.Url))
                {
                    // A custom definition replacing another under the same code keeps the id; its rows are rebuilt by $reindex.
                    await using var update = new NpgsqlCommand("UPDATE search_param SET url = @u, kind = @k WHERE resource_type = @t AND code = @c", connection);
                    update.Parameters.AddWithValue("u", parameter.Url);
                    update.Parameters.AddWithValue("k", parameter.Type.ToString().ToLowerInvariant());
                    update.Parameters.AddWithValue("t", parameter.StorageKey);
                    update.Parameters.AddWithValue("c", parameter.Code);
                    await update.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            var missing = distinct.Where(p => !ids.ContainsKey((p.StorageKey, p.Code))).ToList();
            if (missing.Count > 0)
            {
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO search_param (resource_type, code, kind, url) SELECT * FROM unnest(@t, @c, @k, @u) ON CONFLICT (resource_type, code) DO NOTHING", connection);
                insert.Parameters.AddWithValue("t", missing.Select(p => p.StorageKey).ToArray());
                insert.Parameters.AddWithValue("c", missing.Select(p => p.Code).ToArray());
                insert.Parameters.AddWithValue("k", missing.Select(p => p.Type.ToString().ToLowerInvariant()).ToArray());
                insert.Parameters.AddWithValue("u", missing.Select(p => p.Url).ToArray());
                await insert.ExecuteNonQueryAsync(cancellationToken);
                ids = await ParameterIdsAsync(connection, cancellationToken);
            }

            return ids;
        });

    private static async Task<Dictionary<(string Type, string Code), int>> ParameterIdsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<(string Type, string Code), int>();
        await using var select = new NpgsqlCommand("SELECT param_id, resource_type, code FROM search_param", connection);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids[(reader.GetString(1), reader.GetString(2))] = reader.GetInt32(0);
        }

        return ids;
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A read on a pooled connection. The shared read code is synchronous ADO.NET (as SQLite's is); only opening the
    /// connection, the step that waits for the pool or the network, is asynchronous.
    /// </summary>
    private Task<T> ReadAsync<T>(Func<NpgsqlConnection, T> read, CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return read(connection);
        });

    private static async Task GuardAsync(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw PostgresErrors.Unavailable();
        }
    }

    private static async Task<T> GuardAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw PostgresErrors.Unavailable();
        }
    }
}
