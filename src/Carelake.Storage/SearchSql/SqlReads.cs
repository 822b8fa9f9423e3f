using System.Data.Common;
using System.Text;
using Carelake.Core.Search;
using Carelake.Core.Storage;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// The read side of both providers: the same tables and the same SQL (through <see cref="SqlDialect"/>) answer reads,
/// searches, history and scans on SQLite and PostgreSQL. Each method runs on a connection the provider lends it.
/// </summary>
internal static class SqlReads
{
    public static ResourceVersion? Read(DbConnection connection, SqlDialect dialect, string type, string id)
    {
        using var command = Command(connection, dialect, "SELECT r.version, r.last_updated, r.deleted, v.method, v.payload FROM resource r JOIN resource_version v ON v.rid = r.rid WHERE r.type = @t AND r.id = @i",
            ("@t", type), ("@i", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadVersion(reader, type, id, 0) : null;
    }

    public static ResourceVersion? ReadVersion(DbConnection connection, SqlDialect dialect, string type, string id, long version)
    {
        using var command = Command(connection, dialect, "SELECT v.version, v.last_updated, v.payload IS NULL, v.method, v.payload FROM resource r JOIN resource_version v ON v.sid = r.sid WHERE r.type = @t AND r.id = @i AND v.version = @v",
            ("@t", type), ("@i", id), ("@v", version));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadVersion(reader, type, id, 0) : null;
    }

    public static SearchPage Search(DbConnection connection, SqlDialect dialect, SearchQuery query)
    {
        var resources = new List<ResourceVersion>(Math.Min(query.Count, 1000));
        var sids = new List<long>();
        var keys = new List<object[]>();
        string? next = null;
        string? previous = null;
        if (!query.CountOnly)
        {
            var cursor = SearchCursor.Parse(query.Cursor, query.Sort.Count);
            var (sql, parameters) = SearchSqlBuilder.BuildPage(dialect, query, cursor, query.Count + 1, ChainIntoContained(connection, query), WideChains(connection, dialect, query), SingleSystems(connection, dialect, query));
            var more = false;
            using (var command = connection.CreateCommand())
            {
                command.CommandText = sql;
                command.Parameters.AddRange(parameters.ToArray());
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
            var (countSql, countParameters) = SearchSqlBuilder.BuildCount(dialect, query, ChainIntoContained(connection, query));
            using var count = connection.CreateCommand();
            count.CommandText = countSql;
            count.Parameters.AddRange(countParameters.ToArray());
            total = Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var included = query.Includes.Count + query.RevIncludes.Count > 0 && resources.Count > 0
            ? SqlIncludes.Load(connection, dialect, query, sids, resources)
            : [];
        return new SearchPage(resources, next, total, included) { PreviousCursor = previous };
    }

    /// <summary>Whether a search matches anything, seen from the given transaction (its own earlier writes included).</summary>
    public static bool Matches(DbConnection connection, DbTransaction transaction, SqlDialect dialect, SearchQuery condition)
    {
        var (sql, parameters) = SearchSqlBuilder.BuildCount(dialect, condition);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddRange(parameters.ToArray());
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Targets a chain may have and still drive a search (its referrers are listed before the page is read).</summary>
    private const int NarrowChainTargets = 100;

    /// <summary>
    /// Chains with more than <see cref="NarrowChainTargets"/> targets, when another criterion could drive instead.
    /// One bounded count per chain decides between listing the chain's referrers and probing each candidate row.
    /// </summary>
    private static HashSet<SearchCriterion>? WideChains(DbConnection connection, SqlDialect dialect, SearchQuery query)
    {
        if (query.Criteria.Count < 2 || !query.Criteria.Any(c => c.Chain is not null) || query.Criteria.All(c => c.Chain is not null))
        {
            return null;
        }

        var wide = new HashSet<SearchCriterion>(ReferenceEqualityComparer.Instance);
        foreach (var criterion in query.Criteria.Where(c => c.Chain is not null))
        {
            var (sql, parameters) = SearchSqlBuilder.BuildChainTargetProbe(dialect, criterion, NarrowChainTargets + 1);
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddRange(parameters.ToArray());
            if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > NarrowChainTargets)
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
    private static Dictionary<SearchCriterion, string?>? SingleSystems(DbConnection connection, SqlDialect dialect, SearchQuery query)
    {
        Dictionary<SearchCriterion, string?>? found = null;
        foreach (var criterion in query.Criteria)
        {
            if (criterion is not { Modifier: SearchModifier.None, Chain: null, Has: null, Values: [TokenSearchValue { System: null, Code: { } code }], Parameter: { Type: Hl7.Fhir.Model.SearchParamType.Token, StoredAs.Count: 0 } parameter })
            {
                continue;
            }

            using var command = Command(connection, dialect, SearchSqlBuilder.FirstSystemSql, ("@param", parameter.Id), ("@code", code));
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
                    command.CommandText = SearchSqlBuilder.NonNullSystemSql;
                }
                else
                {
                    command.CommandText = SearchSqlBuilder.OtherSystemSql;
                    command.Parameters.Add(dialect.Parameter("@system", first));
                }

                if (!Flag(command.ExecuteScalar()))
                {
                    (found ??= new Dictionary<SearchCriterion, string?>(ReferenceEqualityComparer.Instance))[criterion] = first;
                }
            }
        }

        return found;
    }

    /// <summary>Whether chains must also look into contained resources: only when the query chains and any are stored.</summary>
    private static bool ChainIntoContained(DbConnection connection, SearchQuery query)
    {
        if (!query.Criteria.Any(c => c.Chain is not null || c.Has is not null))
        {
            return false;
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM contained_resource)";
        return Flag(command.ExecuteScalar());
    }

    public static HistoryPage History(DbConnection connection, SqlDialect dialect, HistoryQuery query)
    {
        using var command = connection.CreateCommand();
        var sql = new StringBuilder(
            "SELECT v.rid, r.type, r.id, v.version, v.last_updated, v.payload IS NULL, v.method, v.payload FROM resource_version v JOIN resource r ON r.sid = v.sid WHERE 1 = 1");
        if (query.Type is not null)
        {
            sql.Append(" AND r.type = @t");
            command.Parameters.Add(dialect.Parameter("@t", query.Type));
        }

        if (query.Id is not null)
        {
            sql.Append(" AND r.id = @i");
            command.Parameters.Add(dialect.Parameter("@i", query.Id));
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND v.last_updated >= @since");
            command.Parameters.Add(dialect.Parameter("@since", since.UtcTicks));
        }

        if (query.At is { } at)
        {
            // _at: the versions current at that instant — the newest version of each resource at or before it.
            sql.Append(" AND v.version = (SELECT MAX(v2.version) FROM resource_version v2 WHERE v2.sid = v.sid AND v2.last_updated <= @at)");
            command.Parameters.Add(dialect.Parameter("@at", at.UtcTicks));
        }

        if (query.BeforeVersionRow is { } before)
        {
            sql.Append(" AND v.rid < @before");
            command.Parameters.Add(dialect.Parameter("@before", before));
        }

        sql.Append(" ORDER BY v.rid DESC LIMIT @limit");
        command.Parameters.Add(dialect.Parameter("@limit", query.Count + 1));
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
    }

    public static IReadOnlyDictionary<string, long> CountByType(DbConnection connection)
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
    }

    public static Dictionary<(string Type, string Code), string> RegisteredSearchParameterUrls(DbConnection connection, DbTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT resource_type, code, url FROM search_param";
        using var reader = command.ExecuteReader();
        var urls = new Dictionary<(string Type, string Code), string>();
        while (reader.Read())
        {
            urls[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
        }

        return urls;
    }

    public static IReadOnlyList<(long Sid, ResourceVersion Resource)> Scan(DbConnection connection, SqlDialect dialect, long afterSid, IReadOnlyList<string> types, int limit)
    {
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT r.sid, r.type, r.id, r.version, r.last_updated, v.method, v.payload FROM resource r JOIN resource_version v ON v.rid = r.rid WHERE r.sid > @after AND r.deleted = 0");
        command.Parameters.Add(dialect.Parameter("@after", afterSid));
        if (types.Count > 0)
        {
            sql.Append(" AND r.type IN (");
            for (var i = 0; i < types.Count; i++)
            {
                sql.Append(i == 0 ? "@t" : ", @t").Append(i);
                command.Parameters.Add(dialect.Parameter("@t" + i, types[i]));
            }

            sql.Append(')');
        }

        sql.Append(" ORDER BY r.sid LIMIT @limit");
        command.Parameters.Add(dialect.Parameter("@limit", limit));
        command.CommandText = sql.ToString();
        var rows = new List<(long, ResourceVersion)>(limit);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), new ResourceVersion(reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero), false, reader.GetString(5), (byte[])reader.GetValue(6))));
        }

        return rows;
    }

    public static IReadOnlyList<(int ParamId, string? System, string Value)> DistinctValues(DbConnection connection, SqlDialect dialect, IReadOnlyList<SearchParameterInfo> parameters, string? type, int limit)
    {
        var values = new List<(int, string?, string)>();
        foreach (var parameter in parameters)
        {
            var (table, columns) = parameter.Type == Hl7.Fhir.Model.SearchParamType.Uri ? ("idx_uri", "NULL, x.uri") : ("idx_token", "x.system, x.code");
            using var command = Command(connection, dialect,
                $"SELECT DISTINCT {columns} FROM {table} x" + (type is null ? string.Empty : " JOIN resource r ON r.sid = x.sid AND r.type = @type")
                + $" WHERE x.param_id IN ({string.Join(", ", parameter.RowIds)}) AND x.sid > 0 LIMIT @limit",
                ("@limit", limit));
            if (type is not null)
            {
                command.Parameters.Add(dialect.Parameter("@type", type));
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
    }

    public const string JobColumns = "SELECT id, kind, status, request, cursor, processed, total, created, updated, error FROM job";

    public static JobRecord? GetJob(DbConnection connection, SqlDialect dialect, string id)
    {
        using var command = Command(connection, dialect, JobColumns + " WHERE id = @id", ("@id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadJob(reader) : null;
    }

    public static IReadOnlyList<JobRecord> ListJobs(DbConnection connection, SqlDialect dialect, int limit)
    {
        using var command = Command(connection, dialect, JobColumns + " ORDER BY created DESC LIMIT @limit", ("@limit", limit));
        using var reader = command.ExecuteReader();
        var jobs = new List<JobRecord>();
        while (reader.Read())
        {
            jobs.Add(ReadJob(reader));
        }

        return jobs;
    }

    private static JobRecord ReadJob(DbDataReader reader) => new(
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

    public static DbCommand Command(DbConnection connection, SqlDialect dialect, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(dialect.Parameter(name, value));
        }

        return command;
    }

    /// <summary>A boolean result: SQLite answers 0/1 integers, PostgreSQL booleans.</summary>
    public static bool Flag(object? value) => value switch
    {
        bool b => b,
        null or DBNull => false,
        _ => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) != 0,
    };

    private static ResourceVersion ReadVersion(DbDataReader reader, string type, string id, int first) => new(
        type,
        id,
        reader.GetInt64(first),
        new DateTimeOffset(reader.GetInt64(first + 1), TimeSpan.Zero),
        Flag(reader.GetValue(first + 2)),
        reader.GetString(first + 3),
        reader.IsDBNull(first + 4) ? null : (byte[])reader.GetValue(first + 4));
}
