using System.Text;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using System.Data.Common;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// _include and _revinclude for one page of matches. Non-iterating specs apply to the matches only; :iterate specs
/// are applied again to everything included so far until nothing new is found (bounded). A resource appears once.
/// </summary>
internal static class SqlIncludes
{
    private const int MaxIterations = 4;
    private const int MaxIncluded = 5000;

    public static List<ResourceVersion> Load(DbConnection connection, SqlDialect dialect, SearchQuery query, List<long> matchSids, List<ResourceVersion> matches)
    {
        var seen = new HashSet<long>(matchSids);
        var included = new List<ResourceVersion>();
        var frontier = matches.Select((m, i) => new Row(matchSids[i], m.Type, m.Id)).ToList();

        for (var round = 0; round < MaxIterations && frontier.Count > 0 && included.Count < MaxIncluded; round++)
        {
            var found = new List<(long Sid, ResourceVersion Version)>();
            foreach (var spec in query.Includes.Where(s => round == 0 || s.Iterate))
            {
                found.AddRange(Forward(connection, dialect, spec, frontier));
            }

            foreach (var spec in query.RevIncludes.Where(s => round == 0 || s.Iterate))
            {
                found.AddRange(Reverse(connection, dialect, spec, frontier));
            }

            frontier = [];
            foreach (var (sid, version) in found)
            {
                if (seen.Add(sid))
                {
                    included.Add(version);
                    frontier.Add(new Row(sid, version.Type, version.Id));
                }
            }
        }

        return included;
    }

    /// <summary>Targets of the source resources' references through the parameter (or any, for *).</summary>
    private static List<(long, ResourceVersion)> Forward(DbConnection connection, SqlDialect dialect, IncludeSpec spec, List<Row> sources)
    {
        var eligible = sources.Where(s => spec.SourceType == "*" || s.Type == spec.SourceType).ToList();
        if (eligible.Count == 0)
        {
            return [];
        }

        using var command = connection.CreateCommand();
        var sql = new StringBuilder(
            "SELECT t.sid, t.type, t.id, t.version, t.last_updated, v.method, v.payload FROM idx_reference ref" + dialect.IndexHint("ix_idx_reference_sid") + " " +
            "JOIN resource t ON t.type = ref.target_type AND t.id = ref.target_id JOIN resource_version v ON v.rid = t.rid " +
            "WHERE t.deleted = 0 AND ref.sid IN (");
        AppendList(command, dialect, sql, eligible.Select(e => (object)e.Sid), "s");
        sql.Append(')');
        if (spec.Parameter is not null)
        {
            sql.Append(" AND ref.param_id = @param");
            command.Parameters.Add(dialect.Parameter("@param", spec.Parameter.Id));
        }

        if (spec.TargetType is not null)
        {
            sql.Append(" AND t.type = @target");
            command.Parameters.Add(dialect.Parameter("@target", spec.TargetType));
        }

        command.CommandText = sql.ToString();
        return Read(command);
    }

    /// <summary>Resources of the source type whose parameter refers to one of the given resources.</summary>
    private static List<(long, ResourceVersion)> Reverse(DbConnection connection, SqlDialect dialect, IncludeSpec spec, List<Row> targets)
    {
        // Contained resources (negative sids) have local ids only: nothing stored can refer to them by Type/id.
        var eligible = targets.Where(t => t.Sid > 0 && (spec.TargetType is null || t.Type == spec.TargetType)).ToList();
        if (eligible.Count == 0)
        {
            return [];
        }

        using var command = connection.CreateCommand();
        var sql = new StringBuilder(
            "SELECT s.sid, s.type, s.id, s.version, s.last_updated, v.method, v.payload FROM idx_reference ref " +
            "JOIN resource s ON s.sid = ref.sid JOIN resource_version v ON v.rid = s.rid WHERE s.deleted = 0 AND ");
        // The (param_id, target_id, target_type, sid) index is reached by seeks on param and id; the row-value test
        // then pairs each id with its type. For '*' every reference parameter (of the source type) is a seek.
        if (spec.Parameter is not null)
        {
            sql.Append("ref.param_id = @param");
            command.Parameters.Add(dialect.Parameter("@param", spec.Parameter.Id));
        }
        else
        {
            sql.Append("ref.param_id IN (SELECT param_id FROM search_param WHERE kind = 'reference'")
                .Append(spec.SourceType != "*" ? " AND resource_type IN (@source, 'Resource'))" : ")");
        }

        sql.Append(" AND ref.target_id IN (");
        AppendList(command, dialect, sql, eligible.Select(e => (object)e.Id).Distinct(), "ti");
        sql.Append(") AND (ref.target_type, ref.target_id) IN (VALUES ");
        for (var i = 0; i < eligible.Count; i++)
        {
            sql.Append(i == 0 ? "(" : ", (").Append("@tt").Append(i).Append(", @tp").Append(i).Append(')');
            command.Parameters.Add(dialect.Parameter("@tt" + i, eligible[i].Type));
            command.Parameters.Add(dialect.Parameter("@tp" + i, eligible[i].Id));
        }

        sql.Append(')');

        if (spec.SourceType != "*")
        {
            sql.Append(" AND s.type = @source");
            command.Parameters.Add(dialect.Parameter("@source", spec.SourceType));
        }

        command.CommandText = sql.ToString();
        return Read(command);
    }

    private static List<(long, ResourceVersion)> Read(DbCommand command)
    {
        var rows = new List<(long, ResourceVersion)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), new ResourceVersion(
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt64(3),
                new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero),
                false,
                reader.GetString(5),
                (byte[])reader.GetValue(6))));
        }

        return rows;
    }

    private static void AppendList(DbCommand command, SqlDialect dialect, StringBuilder sql, IEnumerable<object> values, string prefix)
    {
        var i = 0;
        foreach (var value in values)
        {
            var name = $"@{prefix}{i}";
            sql.Append(i == 0 ? string.Empty : ", ").Append(name);
            command.Parameters.Add(dialect.Parameter(name, value));
            i++;
        }
    }

    private sealed record Row(long Sid, string Type, string Id);
}
