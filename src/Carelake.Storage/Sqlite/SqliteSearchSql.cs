using System.Text;
using Carelake.Core.Search;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// Translates a <see cref="SearchQuery"/> into one SQLite statement. Each criterion becomes
/// <c>r.sid IN (SELECT sid FROM idx_kind WHERE param_id = … AND …)</c>, which SQLite answers from the covering
/// (param_id, value…, sid) indexes; results are ordered by sid so a cursor is a plain "sid greater than".
/// </summary>
internal sealed class SqliteSearchSql
{
    private readonly StringBuilder _sql = new();
    private readonly List<SqliteParameter> _parameters = [];

    public static (string Sql, IReadOnlyList<SqliteParameter> Parameters) Build(SearchQuery query, long afterSid, int limit, bool countOnly)
    {
        var builder = new SqliteSearchSql();
        return builder.BuildCore(query, afterSid, limit, countOnly);
    }

    private (string, IReadOnlyList<SqliteParameter>) BuildCore(SearchQuery query, long afterSid, int limit, bool countOnly)
    {
        _sql.Append(countOnly
            ? "SELECT COUNT(*) FROM resource r WHERE r.type = "
            : "SELECT r.sid, r.id, r.version, r.last_updated, v.method, v.payload FROM resource r JOIN resource_version v ON v.rid = r.rid WHERE r.type = ");
        _sql.Append(Add(query.ResourceType)).Append(" AND r.deleted = 0");
        if (!countOnly && afterSid > 0)
        {
            _sql.Append(" AND r.sid > ").Append(Add(afterSid));
        }

        foreach (var criterion in query.Criteria)
        {
            _sql.Append(" AND ");
            AppendCriterion(criterion);
        }

        if (!countOnly)
        {
            _sql.Append(" ORDER BY r.sid LIMIT ").Append(Add(limit));
        }

        return (_sql.ToString(), _parameters);
    }

    private void AppendCriterion(SearchCriterion criterion)
    {
        if (criterion.Parameter is null)
        {
            AppendColumnCriterion(criterion);
            return;
        }

        var parameter = criterion.Parameter;
        var table = TableFor(parameter.Type);
        if (criterion.Modifier == SearchModifier.Missing)
        {
            var missing = ((MissingSearchValue)criterion.Values[0]).Missing;
            _sql.Append(missing ? "r.sid NOT IN (" : "r.sid IN (")
                .Append("SELECT sid FROM ").Append(table).Append(" WHERE param_id = ").Append(Add(parameter.Id)).Append(')');
            return;
        }

        if (criterion.Values.Count == 0)
        {
            _sql.Append(criterion.Modifier == SearchModifier.Not ? '1' : '0');
            return;
        }

        _sql.Append(criterion.Modifier == SearchModifier.Not ? "r.sid NOT IN (" : "r.sid IN (")
            .Append("SELECT sid FROM ").Append(table).Append(" WHERE param_id = ").Append(Add(parameter.Id)).Append(" AND (");
        for (var i = 0; i < criterion.Values.Count; i++)
        {
            if (i > 0)
            {
                _sql.Append(" OR ");
            }

            _sql.Append('(');
            AppendValue(criterion, criterion.Values[i]);
            _sql.Append(')');
        }

        _sql.Append("))");
    }

    private void AppendColumnCriterion(SearchCriterion criterion)
    {
        if (criterion.Values.Count == 0)
        {
            _sql.Append(criterion.Modifier == SearchModifier.Not ? '1' : '0');
            return;
        }

        if (criterion.Code == "_id")
        {
            if (criterion.Modifier == SearchModifier.Missing)
            {
                _sql.Append(((MissingSearchValue)criterion.Values[0]).Missing ? "0" : "1");
                return;
            }

            _sql.Append(criterion.Modifier == SearchModifier.Not ? "r.id NOT IN (" : "r.id IN (");
            _sql.AppendJoin(", ", criterion.Values.Select(v => Add(((TokenSearchValue)v).Code ?? string.Empty)));
            _sql.Append(')');
            return;
        }

        // _lastUpdated is stored to the millisecond: the value is the range of that millisecond.
        _sql.Append('(');
        for (var i = 0; i < criterion.Values.Count; i++)
        {
            if (i > 0)
            {
                _sql.Append(" OR ");
            }

            AppendDateRange((DateSearchValue)criterion.Values[i], "r.last_updated", $"(r.last_updated + {TimeSpan.TicksPerMillisecond - 1})");
        }

        _sql.Append(')');
    }

    private void AppendValue(SearchCriterion criterion, SearchValue value)
    {
        switch (value)
        {
            case StringSearchValue s when criterion.Parameter!.Type == SearchParamType.Token:
                AppendPrefix("text", s.Normalized);
                break;
            case StringSearchValue s:
                switch (criterion.Modifier)
                {
                    case SearchModifier.Exact:
                        _sql.Append("value_exact = ").Append(Add(s.Exact));
                        break;
                    case SearchModifier.Contains:
                        _sql.Append("value_norm LIKE ").Append(Add("%" + EscapeLike(s.Normalized) + "%")).Append(" ESCAPE '\\'");
                        break;
                    default:
                        AppendPrefix("value_norm", s.Normalized);
                        break;
                }

                break;
            case TokenSearchValue t:
                AppendToken(t);
                break;
            case ReferenceSearchValue r:
                AppendReference(r);
                break;
            case DateSearchValue d:
                AppendDateRange(d, "low", "high");
                break;
            case NumberSearchValue n:
                AppendNumber(n.Prefix, n.Value, n.Low, n.High);
                break;
            case QuantitySearchValue q:
                AppendNumber(q.Prefix, q.Value, q.Low, q.High);
                if (q.System is not null)
                {
                    _sql.Append(" AND system = ").Append(Add(q.System));
                }

                if (q.Code is not null)
                {
                    var code = Add(q.Code);
                    _sql.Append(q.System is null ? $" AND (code = {code} OR unit = {code})" : $" AND code = {code}");
                }

                break;
            case UriSearchValue u:
                _sql.Append("uri = ").Append(Add(u.Uri));
                break;
            default:
                throw new InvalidOperationException($"Unexpected search value {value.GetType().Name}.");
        }
    }

    private void AppendToken(TokenSearchValue t)
    {
        var parts = new List<string>(2);
        if (t.Code is not null)
        {
            parts.Add("code = " + Add(t.Code));
        }

        if (t.System is { Length: 0 })
        {
            parts.Add("system IS NULL");
        }
        else if (t.System is not null)
        {
            parts.Add("system = " + Add(t.System));
        }

        if (parts.Count == 0)
        {
            parts.Add("1");
        }

        _sql.AppendJoin(" AND ", parts);
    }

    private void AppendReference(ReferenceSearchValue r)
    {
        var parts = new List<string>(2);
        if (r.Id is not null)
        {
            var target = "target_id = " + Add(r.Id) + (r.Type is not null ? " AND target_type = " + Add(r.Type) : string.Empty);
            parts.Add("(" + target + ")");
        }

        if (r.Url is not null)
        {
            parts.Add("url = " + Add(r.Url));
        }

        _sql.AppendJoin(" OR ", parts);
    }

    /// <summary>Date prefixes with the range semantics of R4 3.1.1.4.1 (target range [low, high], search range [sl, sh]).</summary>
    private void AppendDateRange(DateSearchValue d, string low, string high)
    {
        var sl = Add(d.Range.Low);
        var sh = Add(d.Range.High);
        var eq = $"({low} >= {sl} AND {high} <= {sh})";
        switch (d.Prefix)
        {
            case SearchPrefix.Eq:
                _sql.Append(eq);
                break;
            case SearchPrefix.Ne:
                _sql.Append("NOT ").Append(eq);
                break;
            case SearchPrefix.Gt:
                _sql.Append($"{high} > {sh}");
                break;
            case SearchPrefix.Lt:
                _sql.Append($"{low} < {sl}");
                break;
            case SearchPrefix.Ge:
                _sql.Append($"({high} > {sh} OR {eq})");
                break;
            case SearchPrefix.Le:
                _sql.Append($"({low} < {sl} OR {eq})");
                break;
            case SearchPrefix.Sa:
                _sql.Append($"{low} > {sh}");
                break;
            case SearchPrefix.Eb:
                _sql.Append($"{high} < {sl}");
                break;
            case SearchPrefix.Ap:
                // Approximately: the search range widened by 10% of its distance from now, overlapping the target.
                var now = DateTime.UtcNow.Ticks;
                var widen = (long)(Math.Abs(now - ((d.Range.Low / 2) + (d.Range.High / 2))) * 0.1);
                _sql.Append($"({low} <= {Add(d.Range.High + widen)} AND {high} >= {Add(d.Range.Low - widen)})");
                break;
        }
    }

    private void AppendNumber(SearchPrefix prefix, decimal value, decimal low, decimal high)
    {
        var v = Add((double)value);
        switch (prefix)
        {
            case SearchPrefix.Eq:
                _sql.Append($"(value >= {Add((double)low)} AND value < {Add((double)high)})");
                break;
            case SearchPrefix.Ne:
                _sql.Append($"NOT (value >= {Add((double)low)} AND value < {Add((double)high)})");
                break;
            case SearchPrefix.Gt:
            case SearchPrefix.Sa:
                _sql.Append($"value > {v}");
                break;
            case SearchPrefix.Lt:
            case SearchPrefix.Eb:
                _sql.Append($"value < {v}");
                break;
            case SearchPrefix.Ge:
                _sql.Append($"value >= {v}");
                break;
            case SearchPrefix.Le:
                _sql.Append($"value <= {v}");
                break;
            case SearchPrefix.Ap:
                var margin = Math.Abs((double)value) * 0.1;
                _sql.Append($"(value >= {Add((double)value - margin)} AND value <= {Add((double)value + margin)})");
                break;
        }
    }

    /// <summary>Starts-with as a range over the binary collation, so the (param_id, value) index is used.</summary>
    private void AppendPrefix(string column, string prefix)
    {
        if (prefix.Length == 0)
        {
            _sql.Append('1');
            return;
        }

        var last = prefix[^1];
        if (last == char.MaxValue)
        {
            _sql.Append(column).Append(" >= ").Append(Add(prefix));
            return;
        }

        var upper = string.Concat(prefix.AsSpan(0, prefix.Length - 1), new string((char)(last + 1), 1));
        _sql.Append(column).Append(" >= ").Append(Add(prefix)).Append(" AND ").Append(column).Append(" < ").Append(Add(upper));
    }

    private static string TableFor(SearchParamType type) => type switch
    {
        SearchParamType.String => "idx_string",
        SearchParamType.Token => "idx_token",
        SearchParamType.Reference => "idx_reference",
        SearchParamType.Date => "idx_date",
        SearchParamType.Number => "idx_number",
        SearchParamType.Quantity => "idx_quantity",
        SearchParamType.Uri => "idx_uri",
        _ => throw new InvalidOperationException($"No index table for {type}."),
    };

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private string Add(object value)
    {
        var name = "$p" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _parameters.Add(new SqliteParameter(name, value));
        return name;
    }
}
