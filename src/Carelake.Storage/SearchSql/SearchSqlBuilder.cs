using System.Globalization;
using System.Text;
using System.Text.Json;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Hl7.Fhir.Model;
using System.Data.Common;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// Translates a <see cref="SearchQuery"/> into one SQL statement for SQLite or PostgreSQL (<see cref="SqlDialect"/>). Each criterion becomes
/// <c>alias.sid IN (SELECT sid FROM idx_kind WHERE param_id = … AND …)</c>, answered from the covering
/// (param_id, value…, sid) indexes. Without _sort, results are ordered by sid and a cursor is "sid greater than";
/// with _sort, each sort key is a per-resource scalar (min or max of the parameter's values) and the cursor holds the
/// last row's keys (keyset paging), so pages stay correct while others write and any node can continue them.
/// </summary>
internal sealed class SearchSqlBuilder
{
    private readonly StringBuilder _sql = new();
    private readonly List<DbParameter> _parameters = [];
    private int _aliases;
    private string _columnPrefix = string.Empty;

    // The resource type each alias stands for, where a subquery needs it (reverse chains).
    private readonly Dictionary<string, string> _aliasTypes = new(StringComparer.Ordinal);

    public IReadOnlyList<DbParameter> Parameters => _parameters;

    /// <summary>Chains also follow local references (<c>#id</c>) into contained resources; off when none are stored, to keep chains cheap.</summary>
    private bool _chainIntoContained;

    /// <summary>The criterion a streamed page reads in index order (left out of the WHERE clause of alias r).</summary>
    private SearchCriterion? _streamed;

    /// <summary>Chains found to have many targets (<see cref="BuildChainTargetProbe"/>): planned as per-row probes.</summary>
    private IReadOnlySet<SearchCriterion> _wideChains = new HashSet<SearchCriterion>();

    /// <summary>Code-only token criteria whose code the store found under one system only (null: no system): they can stream too.</summary>
    private IReadOnlyDictionary<SearchCriterion, string?> _singleSystems = new Dictionary<SearchCriterion, string?>();

    private readonly SqlDialect _dialect;

    private SearchSqlBuilder(SqlDialect dialect)
    {
        _dialect = dialect;
    }

    public static (string Sql, IReadOnlyList<DbParameter> Parameters) BuildPage(
        SqlDialect dialect,
        SearchQuery query,
        SearchCursor cursor,
        int limit,
        bool chainIntoContained = false,
        IReadOnlySet<SearchCriterion>? wideChains = null,
        IReadOnlyDictionary<SearchCriterion, string?>? singleSystems = null)
    {
        var builder = new SearchSqlBuilder(dialect)
        {
            _chainIntoContained = chainIntoContained,
            _wideChains = wideChains ?? new HashSet<SearchCriterion>(),
            _singleSystems = singleSystems ?? new Dictionary<SearchCriterion, string?>(),
        };
        return (builder.Page(query, cursor, limit), builder._parameters);
    }

    /// <summary>
    /// The systems a code appears under for a parameter, in index order: the first, and whether any other follows.
    /// Two seeks on the (param_id, code, system, sid) index.
    /// </summary>
    public const string FirstSystemSql = "SELECT system FROM idx_token WHERE param_id = @param AND code = @code ORDER BY system LIMIT 1";

    public const string OtherSystemSql = "SELECT EXISTS (SELECT 1 FROM idx_token WHERE param_id = @param AND code = @code AND system > @system)";

    public const string NonNullSystemSql = "SELECT EXISTS (SELECT 1 FROM idx_token WHERE param_id = @param AND code = @code AND system IS NOT NULL)";

    /// <summary>
    /// How many resources a chain's first hop points at, counted up to <paramref name="limit"/>: for
    /// <c>subject:Patient.general-practitioner.family=Taylor</c>, the matching patients. Cheap (the inner levels are
    /// small lists) and decisive: their referrers are about this many times the referrers per target.
    /// </summary>
    public static (string Sql, IReadOnlyList<DbParameter> Parameters) BuildChainTargetProbe(SqlDialect dialect, SearchCriterion criterion, int limit)
    {
        var builder = new SearchSqlBuilder(dialect);
        var sql = builder._sql;
        sql.Append("SELECT COUNT(*) FROM (");
        var first = true;
        foreach (var chain in criterion.Chain!)
        {
            foreach (var targetType in chain.TargetTypes)
            {
                sql.Append(first ? string.Empty : " UNION ALL ");
                first = false;
                builder._aliasTypes["t0"] = targetType;
                sql.Append("SELECT 1 FROM resource t0 WHERE ").Append(builder._dialect.Unindexed("t0.type")).Append(" = ").Append(builder.Add(targetType)).Append(" AND t0.deleted = 0 AND ");
                builder.AppendCriterion(chain.Inner, "t0");
            }
        }

        sql.Append(" LIMIT ").Append(builder.Add(limit)).Append(") probe");
        return (sql.ToString(), builder._parameters);
    }

    public static (string Sql, IReadOnlyList<DbParameter> Parameters) BuildCount(SqlDialect dialect, SearchQuery query, bool chainIntoContained = false)
    {
        var builder = new SearchSqlBuilder(dialect) { _chainIntoContained = chainIntoContained };
        if (query.ReturnContained)
        {
            var inner = query with { Contained = ContainedSearch.No, ReturnContained = false };
            builder._sql.Append("SELECT (SELECT COUNT(*) FROM contained_resource c JOIN resource cr ON cr.sid = c.container_sid WHERE cr.deleted = 0 AND ");
            builder.AppendFilter(inner, "c");
            builder._sql.Append(')');
            if (query.Contained == ContainedSearch.Both)
            {
                builder._sql.Append(" + (SELECT COUNT(*) FROM resource r WHERE ");
                builder.AppendFilter(inner, "r");
                builder._sql.Append(')');
            }

            return (builder._sql.ToString(), builder._parameters);
        }

        builder._sql.Append("SELECT COUNT(*) FROM resource r WHERE ");
        builder.AppendFilter(query, "r");
        return (builder._sql.ToString(), builder._parameters);
    }

    /// <summary>
    /// <c>_containedType=contained</c>: the rows are contained resources (negative sids, in sid order) and, with
    /// <c>_contained=both</c>, stored ones too; each row carries its container's payload and "Type/id".
    /// </summary>
    private string ContainedPage(SearchQuery query, SearchCursor cursor, int limit)
    {
        var inner = query with { Contained = ContainedSearch.No, ReturnContained = false };
        _sql.Append("SELECT q.sid, q.id, q.version, q.last_updated, v.method, v.payload, q.type, q.container FROM (")
            .Append("SELECT c.sid, c.id, cr.version, c.last_updated, cr.rid, c.type, cr.type || '/' || cr.id AS container ")
            .Append("FROM contained_resource c JOIN resource cr ON cr.sid = c.container_sid WHERE cr.deleted = 0 AND ");
        AppendFilter(inner, "c");
        if (query.Contained == ContainedSearch.Both)
        {
            _sql.Append(" UNION ALL SELECT r.sid, r.id, r.version, r.last_updated, r.rid, r.type, NULL FROM resource r WHERE ");
            AppendFilter(inner, "r");
        }

        _sql.Append(") q JOIN resource_version v ON v.rid = q.rid");
        if (cursor.Present)
        {
            _sql.Append(cursor.Backward ? " WHERE q.sid < " : " WHERE q.sid > ").Append(Add(cursor.Sid));
        }

        _sql.Append(cursor.Backward ? " ORDER BY q.sid DESC LIMIT " : " ORDER BY q.sid LIMIT ").Append(Add(limit));
        return _sql.ToString();
    }

    private string Page(SearchQuery query, SearchCursor cursor, int limit)
    {
        if (query.ReturnContained)
        {
            return ContainedPage(query, cursor, limit);
        }

        if (query.Sort.Count == 0 && StreamingDriver(query) is { } streamed)
        {
            return StreamedPage(query, streamed, cursor, limit);
        }

        if (query.Sort.Count == 0)
        {
            _sql.Append("SELECT r.sid, r.id, r.version, r.last_updated, v.method, v.payload, r.type FROM resource r JOIN resource_version v ON v.rid = r.rid WHERE ");
            AppendFilter(query, "r");
            if (cursor.Present)
            {
                _sql.Append(cursor.Backward ? " AND r.sid < " : " AND r.sid > ").Append(Add(cursor.Sid));
            }

            _sql.Append(cursor.Backward ? " ORDER BY r.sid DESC LIMIT " : " ORDER BY r.sid LIMIT ").Append(Add(limit));
            return _sql.ToString();
        }

        _sql.Append("SELECT q.sid, q.id, q.version, q.last_updated, v.method, v.payload, q.type");
        for (var i = 0; i < query.Sort.Count; i++)
        {
            _sql.Append(", q.k").Append(i);
        }

        _sql.Append(" FROM (SELECT r.sid, r.id, r.version, r.last_updated, r.rid, r.type");
        for (var i = 0; i < query.Sort.Count; i++)
        {
            _sql.Append(", ").Append(SortExpression(query.Sort[i], "r")).Append(" AS k").Append(i);
        }

        _sql.Append(" FROM resource r WHERE ");
        AppendFilter(query, "r");
        _sql.Append(") q JOIN resource_version v ON v.rid = q.rid");
        if (cursor.Keys is { } keys)
        {
            _sql.Append(" WHERE ");
            AppendKeyset(query.Sort, keys, cursor.Sid, cursor.Backward);
        }

        // A backward (previous-page) read walks the same order in reverse; the caller flips the rows back.
        _sql.Append(" ORDER BY ");
        for (var i = 0; i < query.Sort.Count; i++)
        {
            _sql.Append("q.k").Append(i).Append(query.Sort[i].Descending != cursor.Backward ? " DESC, " : " ASC, ");
        }

        _sql.Append(cursor.Backward ? "q.sid DESC LIMIT " : "q.sid ASC LIMIT ").Append(Add(limit));
        return _sql.ToString();
    }

    /// <summary>
    /// A driver whose index rows, for one value, are stored in sid order: a token with system and code, or a
    /// reference to Type/id (every column before sid in the index is fixed by equality). Such a driver is read as a
    /// join in index order and stops after one page, instead of listing every match first (a common LOINC code has
    /// tens of thousands of observations at 1M resources).
    /// </summary>
    private SearchCriterion? StreamingDriver(SearchQuery query)
    {
        if (query.Contained != ContainedSearch.No || query.Compartment is not null || query.ResourceType == "Resource" || query.Criteria.Count == 0)
        {
            return null;
        }

        var driver = query.Criteria.OrderBy(Selectivity).First();
        if (driver is not { Modifier: SearchModifier.None, Chain: null, Has: null, Values.Count: 1, Parameter: { StoredAs.Count: 0 } parameter } || driver.Code == "_list")
        {
            return null;
        }

        return (parameter.Type, driver.Values[0]) switch
        {
            (SearchParamType.Token, TokenSearchValue { System.Length: > 0, Code: not null }) => driver,
            (SearchParamType.Token, TokenSearchValue { System: null, Code: not null }) when _singleSystems.ContainsKey(driver) => driver,
            (SearchParamType.Reference, ReferenceSearchValue { Type: not null, Id: not null, Url: null }) => driver,
            _ => null,
        };
    }

    private string StreamedPage(SearchQuery query, SearchCriterion driver, SearchCursor cursor, int limit)
    {
        _streamed = driver;
        var parameter = Add(driver.Parameter!.Id);
        _sql.Append("SELECT r.sid, r.id, r.version, r.last_updated, v.method, v.payload, r.type FROM ");
        switch (driver.Values[0])
        {
            case TokenSearchValue token:
                // A code searched without a system streams only when the store saw it under a single system.
                var system = token.System ?? _singleSystems[driver];
                _sql.Append("idx_token d JOIN resource r ON r.sid = d.sid JOIN resource_version v ON v.rid = r.rid WHERE d.param_id = ").Append(parameter)
                    .Append(" AND d.code = ").Append(Add(token.Code!)).Append(system is null ? " AND d.system IS NULL" : " AND d.system = " + Add(system));
                break;
            case ReferenceSearchValue reference:
                _sql.Append("idx_reference d JOIN resource r ON r.sid = d.sid JOIN resource_version v ON v.rid = r.rid WHERE d.param_id = ").Append(parameter)
                    .Append(" AND d.target_id = ").Append(Add(reference.Id!)).Append(" AND d.target_type = ").Append(Add(reference.Type!));
                break;
        }

        _sql.Append(" AND ");
        AppendFilter(query, "r");
        if (cursor.Present)
        {
            _sql.Append(cursor.Backward ? " AND d.sid < " : " AND d.sid > ").Append(Add(cursor.Sid));
        }

        // GROUP BY: a resource with the same code twice has two index rows; in index order the grouping streams.
        _sql.Append(" GROUP BY ").Append(_dialect.StreamedGroupBy).Append(cursor.Backward ? " ORDER BY d.sid DESC LIMIT " : " ORDER BY d.sid LIMIT ").Append(Add(limit));
        return _sql.ToString();
    }

    /// <summary>
    /// The WHERE clause. Query-plan shape (checked by tests with EXPLAIN QUERY PLAN): the most selective criterion is
    /// the driver, <c>sid IN (…)</c>, which SQLite walks as a sorted list of rowids (no scan of the type, no sort);
    /// every other criterion is a correlated EXISTS probe through the index table's sid index, so it never
    /// materialises its whole match list. Without criteria the (type) index gives the type's rows in sid order.
    /// </summary>
    private void AppendFilter(SearchQuery query, string alias)
    {
        if (query.Contained != ContainedSearch.No)
        {
            AppendContainerFilter(query, alias);
            return;
        }

        _aliasTypes[alias] = query.ResourceType;
        var criteria = query.Criteria.OrderBy(Selectivity).ToList();
        // In a compartment search the compartment membership list drives (it is small: one patient's resources).
        var driver = query.Compartment is null && criteria.Count > 0 && Selectivity(criteria[0]) < NeverDrives ? criteria[0] : null;
        // A unary plus keeps SQLite from picking the low-selectivity type index when a criterion can drive.
        var driverIsIndexTable = (driver is not null && driver.Code != "_id") || query.Compartment is not null;
        if (_streamed is not null && alias == "r")
        {
            // The page query reads the driver's index rows itself (StreamedPage); the rest are probes.
            criteria.Remove(_streamed);
            driver = null;
        }
        if (query.ResourceType != "Resource")
        {
            _sql.Append(driverIsIndexTable ? _dialect.Unindexed(alias + ".type") : alias + ".type").Append(" = ").Append(Add(query.ResourceType)).Append(" AND ");
        }
        else if (query.Types.Count > 0)
        {
            _sql.Append(driverIsIndexTable ? _dialect.Unindexed(alias + ".type") : alias + ".type").Append(" IN (").AppendJoin(", ", query.Types.Select(t => Add(t))).Append(") AND ");
        }

        _sql.Append(alias).Append(".deleted = 0");
        if (query.Compartment is { } compartment)
        {
            _sql.Append(" AND (");
            if (compartment.Parameters.Count > 0)
            {
                _sql.Append(alias).Append(".sid IN (SELECT sid FROM idx_reference WHERE param_id IN (")
                    .AppendJoin(", ", compartment.Parameters.Select(p => Add(p.Id)))
                    .Append(") AND target_id = ").Append(Add(compartment.Id)).Append(" AND target_type = ").Append(Add(compartment.Type)).Append(')');
            }
            else
            {
                _sql.Append("FALSE");
            }

            if (compartment.IncludesSelf)
            {
                _sql.Append(" OR (").Append(alias).Append(".id = ").Append(Add(compartment.Id)).Append(" AND ").Append(alias).Append(".type = ").Append(Add(compartment.Type)).Append(')');
            }

            _sql.Append(')');
        }

        foreach (var criterion in criteria)
        {
            _sql.Append(" AND ");
            AppendCriterion(criterion, alias, driver: ReferenceEquals(criterion, driver));
        }
    }

    private const int NeverDrives = 100;

    /// <summary>A static estimate of how few rows a criterion matches: lower drives the query.</summary>
    private int Selectivity(SearchCriterion criterion)
    {
        if (criterion.Modifier is SearchModifier.Not or SearchModifier.Missing || criterion is CareDateCriterion)
        {
            return NeverDrives;
        }

        if (criterion.Chain is not null)
        {
            // A chain usually names a few targets (a family name, an identifier): their referrers are a short list.
            // A wide one (a popular practitioner's patients: their observations are tens of thousands) is better
            // probed per row while another criterion drives; the store counts targets before planning.
            return _wideChains.Contains(criterion) ? 5 : 2;
        }

        if (criterion.Has is not null)
        {
            return 6;
        }

        if (criterion.Code == "_list")
        {
            return 1;
        }

        return criterion.Parameter?.Type switch
        {
            null => criterion.Code switch { "_id" => 0, "_text" or "_content" => 2, _ => 7 },
            SearchParamType.Reference => 1,
            SearchParamType.String when criterion.Modifier == SearchModifier.Exact => 2,
            SearchParamType.Token when criterion.Parameter.Code is "identifier" or "_id" => 2,
            SearchParamType.String => criterion.Modifier == SearchModifier.Contains ? 8 : 3,
            SearchParamType.Token => 4,
            SearchParamType.Uri => 4,
            _ => 5,
        };
    }

    /// <summary>(k0 after c0) OR (k0 = c0 AND k1 after c1) OR … OR (all equal AND sid > last sid).</summary>
    private void AppendKeyset(IReadOnlyList<SortClause> sort, IReadOnlyList<object> keys, long sid, bool backward)
    {
        _sql.Append('(');
        for (var i = 0; i <= sort.Count; i++)
        {
            if (i > 0)
            {
                _sql.Append(" OR ");
            }

            _sql.Append('(');
            for (var j = 0; j < i; j++)
            {
                _sql.Append("q.k").Append(j).Append(" = ").Append(Add(keys[j])).Append(" AND ");
            }

            if (i < sort.Count)
            {
                _sql.Append("q.k").Append(i).Append(sort[i].Descending != backward ? " < " : " > ").Append(Add(keys[i]));
            }
            else
            {
                _sql.Append(backward ? "q.sid < " : "q.sid > ").Append(Add(sid));
            }

            _sql.Append(')');
        }

        _sql.Append(')');
    }

    /// <summary>
    /// A scalar per resource. Missing values sort last in both directions, through sentinels beyond any real value,
    /// so the keyset comparisons never meet NULL.
    /// </summary>
    private string SortExpression(SortClause key, string alias)
    {
        var desc = key.Descending;
        if (key.Parameter is null)
        {
            return key.Code == "_id" ? $"{alias}.id" : $"{alias}.last_updated";
        }

        var parameter = ParamIdTest(key.Parameter);
        var aggregate = desc ? "MAX" : "MIN";
        var (table, column, kind) = key.Parameter.Type switch
        {
            SearchParamType.String => ("idx_string", "value_norm", 'T'),
            SearchParamType.Token => ("idx_token", "code", 'T'),
            SearchParamType.Reference => ("idx_reference", "COALESCE(target_type || '/' || target_id, url)", 'T'),
            SearchParamType.Date => ("idx_date", desc ? "high" : "low", 'I'),
            SearchParamType.Number => ("idx_number", "value", 'R'),
            SearchParamType.Quantity => ("idx_quantity", "value", 'R'),
            SearchParamType.Uri => ("idx_uri", "uri", 'T'),
            _ => throw FhirException.NotSupported($"_sort on '{key.Code}' is not supported."),
        };
        var sentinel = kind switch
        {
            'T' => desc ? "''" : _dialect.MaxCharacter,
            'I' => desc ? long.MinValue.ToString(CultureInfo.InvariantCulture) : long.MaxValue.ToString(CultureInfo.InvariantCulture),
            _ => desc ? "-1e308" : "1e308",
        };
        // INDEXED BY: otherwise SQLite answers MIN/MAX by walking the (param_id, value) index of the whole type in
        // value order until it meets this sid — a scan of every resource's values for each row sorted.
        return $"COALESCE((SELECT {aggregate}({column}) FROM {table}{_dialect.IndexHint($"ix_{table}_sid")} WHERE sid = {alias}.sid AND param_id{parameter}), {sentinel})";
    }

    private void AppendCriterion(SearchCriterion criterion, string alias, bool driver = true)
    {
        if (criterion.Chain is { } chains)
        {
            AppendChain(chains, alias, driver);
            return;
        }

        if (criterion.Has is { } has)
        {
            AppendHas(has, alias, driver);
            return;
        }

        if (criterion.Code is "_text" or "_content")
        {
            AppendFullText(criterion, alias, driver);
            return;
        }

        if (criterion is CareDateCriterion care)
        {
            AppendCareDate(care, alias);
            return;
        }

        if (criterion.Parameter is null)
        {
            AppendColumnCriterion(criterion, alias);
            return;
        }

        if (criterion.Code == "_list")
        {
            var n = ++_aliases;
            _sql.Append(alias).Append($".sid IN (SELECT t{n}.sid FROM resource l{n} JOIN idx_reference ref{n} ON ref{n}.sid = l{n}.sid ")
                .Append($"JOIN resource t{n} ON t{n}.type = ref{n}.target_type AND t{n}.id = ref{n}.target_id ")
                .Append($"WHERE l{n}.type = 'List' AND l{n}.deleted = 0 AND ref{n}.param_id = ").Append(Add(criterion.Parameter.Id))
                .Append($" AND l{n}.id IN (").AppendJoin(", ", criterion.Values.Select(v => Add(((TokenSearchValue)v).Code!))).Append("))");
            return;
        }

        var parameter = criterion.Parameter;
        if (parameter.Type == SearchParamType.Composite && criterion.Modifier != SearchModifier.Missing)
        {
            AppendComposite(criterion, alias, driver);
            return;
        }

        var table = TableFor(parameter.Type);
        if (criterion.Modifier == SearchModifier.Missing)
        {
            var missing = ((MissingSearchValue)criterion.Values[0]).Missing;
            _sql.Append(missing ? "NOT EXISTS (" : "EXISTS (")
                .Append("SELECT 1 FROM ").Append(table).Append(_dialect.IndexHint($"ix_{table}_sid")).Append(" WHERE sid = ").Append(alias).Append(".sid AND param_id").Append(ParamIdTest(parameter)).Append(')');
            return;
        }

        if (criterion.Values.Count == 0)
        {
            _sql.Append(criterion.Modifier == SearchModifier.Not ? "TRUE" : "FALSE");
            return;
        }

        if (driver && criterion.Modifier != SearchModifier.Not)
        {
            _sql.Append(alias).Append(".sid IN (SELECT sid FROM ").Append(table).Append(" WHERE param_id").Append(ParamIdTest(parameter)).Append(" AND (");
        }
        else
        {
            _sql.Append(criterion.Modifier == SearchModifier.Not ? "NOT EXISTS (" : "EXISTS (")
                .Append("SELECT 1 FROM ").Append(table).Append(_dialect.IndexHint($"ix_{table}_sid")).Append(" WHERE sid = ").Append(alias).Append(".sid AND param_id").Append(ParamIdTest(parameter)).Append(" AND (");
        }

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

    /// <summary>
    /// code-value-quantity=http://loinc.org|8480-6$gt100: the component rows of one tuple (same sid, param and tuple
    /// number) are joined, and each component's condition applies to its own row.
    /// </summary>
    private void AppendComposite(SearchCriterion criterion, string alias, bool driver)
    {
        var parameter = criterion.Parameter!;
        var n = ++_aliases;
        var count = parameter.Components.Count;
        string C(int position) => $"c{n}_{position}";
        _sql.Append(driver ? $"{alias}.sid IN (SELECT {C(0)}.sid" : "EXISTS (SELECT 1").Append(" FROM idx_composite ").Append(C(0));
        for (var position = 1; position < count; position++)
        {
            _sql.Append(" JOIN idx_composite ").Append(C(position)).Append(" ON ")
                .Append(C(position)).Append(".sid = ").Append(C(0)).Append(".sid AND ")
                .Append(C(position)).Append(".param_id = ").Append(C(0)).Append(".param_id AND ")
                .Append(C(position)).Append(".tuple = ").Append(C(0)).Append(".tuple AND ")
                .Append(C(position)).Append(".position = ").Append(position);
        }

        _sql.Append(" WHERE ").Append(C(0)).Append(".param_id").Append(ParamIdTest(parameter)).Append(" AND ").Append(C(0)).Append(".position = 0");
        if (!driver)
        {
            _sql.Append(" AND ").Append(C(0)).Append(".sid = ").Append(alias).Append(".sid");
        }

        _sql.Append(" AND (");
        for (var i = 0; i < criterion.Values.Count; i++)
        {
            var value = (CompositeSearchValue)criterion.Values[i];
            _sql.Append(i == 0 ? "(" : " OR (");
            for (var position = 0; position < count; position++)
            {
                if (position > 0)
                {
                    _sql.Append(" AND ");
                }

                _columnPrefix = C(position) + ".";
                _sql.Append('(');
                var component = new SearchCriterion(criterion.Code, parameter with { Type = parameter.Components[position].Type, Components = [] }, SearchModifier.None, []);
                AppendValue(component, value.Components[position]);
                _sql.Append(')');
                _columnPrefix = string.Empty;
            }

            _sql.Append(')');
        }

        _sql.Append("))");
    }

    /// <summary>
    /// _text searches the narrative, _content all text; every word of a value must occur (values are ORed).
    /// SQLite: FTS5, words quoted so FTS5 operators typed by a user are taken literally. PostgreSQL: tsvector columns
    /// of text folded like FTS5's unicode61 tokenizer (<see cref="FullTextFolding"/>), searched with plainto_tsquery.
    /// </summary>
    private void AppendFullText(SearchCriterion criterion, string alias, bool driver)
    {
        var column = criterion.Code == "_text" ? "narrative" : "content";
        var alternatives = criterion.Values
            .Select(v => ((StringSearchValue)v).Exact.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(words => words.Length > 0)
            .ToList();
        if (alternatives.Count == 0)
        {
            _sql.Append("TRUE");
            return;
        }

        if (!_dialect.FullTextIsFts5)
        {
            var tests = string.Join(" OR ", alternatives.Select(words => $"t.{column} @@ plainto_tsquery('simple', {Add(FullTextFolding.Fold(string.Join(' ', words)))})"));
            _sql.Append(driver
                ? $"{alias}.sid IN (SELECT t.sid FROM resource_text t WHERE {tests})"
                : $"EXISTS (SELECT 1 FROM resource_text t WHERE t.sid = {alias}.sid AND ({tests}))");
            return;
        }

        var expression = alternatives.Select(words => "(" + string.Join(" AND ", words.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"")) + ")");
        var match = Add($"{column} : ({string.Join(" OR ", expression)})");
        _sql.Append(driver
            ? $"{alias}.sid IN (SELECT rowid FROM resource_text WHERE resource_text MATCH {match})"
            : $"EXISTS (SELECT 1 FROM resource_text WHERE rowid = {alias}.sid AND resource_text MATCH {match})");
    }

    /// <summary>
    /// subject:Patient.name=x — the reference must point at a live target that matches the inner criterion. The
    /// targets are found first (a small set), then the references to them through the (param, target_id) index.
    /// </summary>
    private void AppendChain(IReadOnlyList<ChainedCriterion> chains, string alias, bool driver)
    {
        _sql.Append('(');
        var first = true;
        foreach (var chain in chains)
        {
            foreach (var targetType in chain.TargetTypes)
            {
                if (!first)
                {
                    _sql.Append(" OR ");
                }

                first = false;
                var n = ++_aliases;
                _aliasTypes[$"t{n}"] = targetType;
                var target = $"t{n}";
                var reference = $"ref{n}";
                var type = Add(targetType);
                // As the driver: the referrers of the matching targets. As a filter: a probe of this row's references
                // against the matching targets (listed once per statement).
                _sql.Append(driver ? $"{alias}.sid IN (SELECT {reference}.sid" : "EXISTS (SELECT 1")
                    .Append(" FROM idx_reference ").Append(reference).Append(driver ? string.Empty : _dialect.IndexHint("ix_idx_reference_sid"))
                    .Append(" WHERE ").Append(driver ? string.Empty : $"{reference}.sid = {alias}.sid AND ").Append(reference).Append(".param_id = ").Append(Add(chain.Reference.Id))
                    .Append(" AND ").Append(reference).Append(".target_type = ").Append(type)
                    .Append(" AND ").Append(reference).Append(".target_id IN (SELECT ").Append(target).Append(".id FROM resource ").Append(target)
                    .Append(" WHERE ").Append(_dialect.Unindexed(target + ".type")).Append(" = ").Append(type).Append(" AND ").Append(target).Append(".deleted = 0 AND ");
                AppendCriterion(chain.Inner, target);
                _sql.Append("))");
                if (_chainIntoContained)
                {
                    // A local reference (#id) to a resource contained in the same container.
                    var contained = $"tc{n}";
                    var local = $"refc{n}";
                    _aliasTypes[contained] = targetType;
                    _sql.Append(" OR ").Append(alias).Append(".sid IN (SELECT ").Append(local).Append(".sid FROM contained_resource ").Append(contained)
                        .Append(" JOIN idx_reference ").Append(local).Append(" ON ").Append(local).Append(".param_id = ").Append(Add(chain.Reference.Id))
                        .Append(" AND ").Append(local).Append(".url = '#' || ").Append(contained).Append(".id AND ").Append(local).Append(".sid = ")
                        .Append(contained).Append(".container_sid WHERE ").Append(contained).Append(".type = ").Append(type).Append(" AND ");
                    AppendCriterion(chain.Inner, contained);
                    _sql.Append(')');
                }
            }
        }

        _sql.Append(')');
    }

    /// <summary>
    /// _has:Observation:patient:code=x — some live Observation matching code=x refers to this resource through patient.
    /// The matching sources come first, then their references, then the referenced resources by (type, id).
    /// </summary>
    private void AppendHas(ReverseChainedCriterion has, string alias, bool driver)
    {
        var n = ++_aliases;
        var source = $"s{n}";
        var reference = $"ref{n}";
        var target = $"t{n}";
        _aliasTypes[source] = has.SourceType;
        var type = Add(_aliasTypes.GetValueOrDefault(alias, "Resource"));
        if (!driver)
        {
            // As a filter on rows found otherwise: probe the references to this resource through the target index.
            _sql.Append("EXISTS (SELECT 1 FROM idx_reference ").Append(reference).Append(" JOIN resource ").Append(source)
                .Append(" ON ").Append(source).Append(".sid = ").Append(reference).Append(".sid WHERE ").Append(reference).Append(".param_id = ")
                .Append(Add(has.Reference.Id)).Append(" AND ").Append(reference).Append(".target_id = ").Append(alias).Append(".id AND ")
                .Append(reference).Append(".target_type = ").Append(type).Append(" AND ").Append(_dialect.Unindexed(source + ".type")).Append(" = ")
                .Append(Add(has.SourceType)).Append(" AND ").Append(source).Append(".deleted = 0 AND ");
            AppendCriterion(has.Inner, source, driver: false);
            _sql.Append(')');
            return;
        }

        _sql.Append(alias).Append(".sid IN (SELECT ").Append(target).Append(".sid FROM resource ").Append(target)
            .Append(" WHERE ").Append(target).Append(".type = ").Append(type).Append(" AND ").Append(target).Append(".id IN (SELECT ")
            .Append(reference).Append(".target_id FROM idx_reference ").Append(reference).Append(" WHERE ").Append(reference).Append(".param_id = ")
            .Append(Add(has.Reference.Id)).Append(" AND ").Append(reference).Append(".target_type = ").Append(type)
            .Append(" AND ").Append(reference).Append(".sid IN (SELECT ").Append(source).Append(".sid FROM resource ").Append(source)
            .Append(" WHERE ").Append(_dialect.Unindexed(source + ".type")).Append(" = ").Append(Add(has.SourceType)).Append(" AND ").Append(source).Append(".deleted = 0 AND ");
        AppendCriterion(has.Inner, source);
        _sql.Append(")))");
    }

    /// <summary>
    /// $everything's start/end: a resource with a care date (its type's date parameter) overlapping [start, end], or
    /// one without any care date (the patient, a practitioner), which belongs to every period.
    /// </summary>
    private void AppendCareDate(CareDateCriterion care, string alias)
    {
        if (care.DateParameters.Count == 0)
        {
            _sql.Append("TRUE");
            return;
        }

        var ids = string.Join(", ", care.DateParameters.SelectMany(p => p.RowIds).Select(id => Add(id)));
        _sql.Append("(NOT EXISTS (SELECT 1 FROM idx_date" + _dialect.IndexHint("ix_idx_date_sid") + " WHERE sid = ").Append(alias).Append(".sid AND param_id IN (").Append(ids).Append("))")
            .Append(" OR EXISTS (SELECT 1 FROM idx_date" + _dialect.IndexHint("ix_idx_date_sid") + " WHERE sid = ").Append(alias).Append(".sid AND param_id IN (").Append(ids).Append(')')
            .Append(" AND high >= ").Append(Add(care.Low)).Append(" AND low <= ").Append(Add(care.High)).Append("))");
    }

    /// <summary>
    /// <c>_contained=true|both</c> returning containers: live resources (of any type) with a contained resource that
    /// matches, and with <c>both</c> also the stored resources that match themselves.
    /// </summary>
    private void AppendContainerFilter(SearchQuery query, string alias)
    {
        var inner = query with { Contained = ContainedSearch.No, ReturnContained = false };
        var contained = $"c{++_aliases}";
        _sql.Append(alias).Append(".deleted = 0 AND (");
        if (query.Contained == ContainedSearch.Both)
        {
            _sql.Append('(');
            AppendFilter(inner, alias);
            _sql.Append(") OR ");
        }

        _sql.Append(alias).Append(".sid IN (SELECT ").Append(contained).Append(".container_sid FROM contained_resource ").Append(contained).Append(" WHERE ");
        AppendFilter(inner, contained);
        _sql.Append("))");
    }

    private void AppendColumnCriterion(SearchCriterion criterion, string alias)
    {
        if (criterion.Values.Count == 0)
        {
            _sql.Append(criterion.Modifier == SearchModifier.Not ? "TRUE" : "FALSE");
            return;
        }

        if (criterion.Code == "_id")
        {
            if (criterion.Modifier == SearchModifier.Missing)
            {
                _sql.Append(((MissingSearchValue)criterion.Values[0]).Missing ? "FALSE" : "TRUE");
                return;
            }

            _sql.Append(alias).Append(criterion.Modifier == SearchModifier.Not ? ".id NOT IN (" : ".id IN (");
            _sql.AppendJoin(", ", criterion.Values.Select(v => Add(((TokenSearchValue)v).Code ?? string.Empty)));
            _sql.Append(')');
            return;
        }

        if (criterion.Modifier == SearchModifier.Missing)
        {
            _sql.Append(((MissingSearchValue)criterion.Values[0]).Missing ? "FALSE" : "TRUE");
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

            AppendDateRange((DateSearchValue)criterion.Values[i], $"{alias}.last_updated", $"({alias}.last_updated + {TimeSpan.TicksPerMillisecond - 1})");
        }

        _sql.Append(')');
    }

    private void AppendValue(SearchCriterion criterion, SearchValue value)
    {
        switch (value)
        {
            case StringSearchValue s when criterion.Parameter!.Type == SearchParamType.Token:
                AppendPrefix(Col("text"), s.Normalized);
                break;
            case StringSearchValue s:
                switch (criterion.Modifier)
                {
                    case SearchModifier.Exact:
                        _sql.Append(Col("value_exact")).Append(" = ").Append(Add(s.Exact));
                        break;
                    case SearchModifier.Contains:
                        _sql.Append(Col("value_norm")).Append(" LIKE ").Append(Add("%" + EscapeLike(s.Normalized) + "%")).Append(" ESCAPE '\\'");
                        break;
                    default:
                        AppendPrefix(Col("value_norm"), s.Normalized);
                        break;
                }

                break;
            case TokenSearchValue t when criterion.Modifier == SearchModifier.Identifier:
                _sql.Append(Col("identifier_value")).Append(" = ").Append(Add(t.Code ?? string.Empty));
                if (t.System is { Length: > 0 })
                {
                    _sql.Append(" AND ").Append(Col("identifier_system")).Append(" = ").Append(Add(t.System));
                }

                break;
            case TokenSearchValue t:
                AppendToken(t);
                break;
            case OfTypeSearchValue o:
                _sql.Append(Col("type_system")).Append(" = ").Append(Add(o.TypeSystem)).Append(" AND ").Append(Col("type_code")).Append(" = ")
                    .Append(Add(o.TypeCode)).Append(" AND ").Append(Col("code")).Append(" = ").Append(Add(o.Value));
                break;
            case UriSearchValue u when criterion.Modifier == SearchModifier.Below:
                AppendPrefix(Col("uri"), u.Uri);
                break;
            case UriSearchValue u when criterion.Modifier == SearchModifier.Above:
                // The stored URI is a prefix of the value (its "parent" paths match too).
                _sql.Append("substr(").Append(Add(u.Uri)).Append(", 1, length(").Append(Col("uri")).Append(")) = ").Append(Col("uri"));
                break;
            case ReferenceSearchValue r:
                AppendReference(r);
                break;
            case DateSearchValue d:
                AppendDateRange(d, Col("low"), Col("high"));
                break;
            case NumberSearchValue n:
                AppendNumber(n.Prefix, n.Value, n.Low, n.High, Col("value"));
                break;
            case QuantitySearchValue q when UcumCanonicalizer.Canonical(q.Value, q.System, q.Code) is { } canonical:
            {
                // Compare in canonical units; the precision range scales with the unit factor.
                var factor = UcumCanonicalizer.Canonical(1m, q.System, q.Code)?.Value ?? 1m;
                _sql.Append(Col("canon_code")).Append(" = ").Append(Add(canonical.Code)).Append(" AND ");
                AppendNumber(q.Prefix, canonical.Value, q.Low * factor, q.High * factor, Col("canon_value"));
                break;
            }

            case QuantitySearchValue q:
                AppendNumber(q.Prefix, q.Value, q.Low, q.High, Col("value"));
                if (q.System is not null)
                {
                    _sql.Append(" AND ").Append(Col("system")).Append(" = ").Append(Add(q.System));
                }

                if (q.Code is not null)
                {
                    var code = Add(q.Code);
                    _sql.Append(q.System is null ? $" AND ({Col("code")} = {code} OR {Col("unit")} = {code})" : $" AND {Col("code")} = {code}");
                }

                break;
            case UriSearchValue u:
                _sql.Append(Col("uri")).Append(" = ").Append(Add(u.Uri));
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
            parts.Add(Col("code") + " = " + Add(t.Code));
        }

        if (t.System is { Length: 0 })
        {
            parts.Add(Col("system") + " IS NULL");
        }
        else if (t.System is not null)
        {
            parts.Add(Col("system") + " = " + Add(t.System));
        }

        if (parts.Count == 0)
        {
            parts.Add("TRUE");
        }

        _sql.AppendJoin(" AND ", parts);
    }

    private void AppendReference(ReferenceSearchValue r)
    {
        var parts = new List<string>(2);
        if (r.Id is not null)
        {
            var target = Col("target_id") + " = " + Add(r.Id) + (r.Type is not null ? " AND " + Col("target_type") + " = " + Add(r.Type) : string.Empty);
            parts.Add("(" + target + ")");
        }

        if (r.Url is not null)
        {
            parts.Add(r.Version is null
                ? Col("url") + " = " + Add(r.Url)
                : "(" + Col("url") + " = " + Add(r.Url) + " AND " + Col("target_version") + " = " + Add(r.Version) + ")");
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

    private void AppendNumber(SearchPrefix prefix, decimal value, decimal low, decimal high, string column = "value")
    {
        var v = Add((double)value);
        switch (prefix)
        {
            case SearchPrefix.Eq:
                _sql.Append($"({column} >= {Add((double)low)} AND {column} < {Add((double)high)})");
                break;
            case SearchPrefix.Ne:
                _sql.Append($"NOT ({column} >= {Add((double)low)} AND {column} < {Add((double)high)})");
                break;
            case SearchPrefix.Gt:
            case SearchPrefix.Sa:
                _sql.Append($"{column} > {v}");
                break;
            case SearchPrefix.Lt:
            case SearchPrefix.Eb:
                _sql.Append($"{column} < {v}");
                break;
            case SearchPrefix.Ge:
                _sql.Append($"{column} >= {v}");
                break;
            case SearchPrefix.Le:
                _sql.Append($"{column} <= {v}");
                break;
            case SearchPrefix.Ap:
                var margin = Math.Abs((double)value) * 0.1;
                _sql.Append($"({column} >= {Add((double)value - margin)} AND {column} <= {Add((double)value + margin)})");
                break;
        }
    }

    /// <summary>Starts-with as a range over the binary collation, so the (param_id, value) index is used.</summary>
    private void AppendPrefix(string column, string prefix)
    {
        if (prefix.Length == 0)
        {
            _sql.Append("TRUE");
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

    internal static string TableFor(SearchParamType type) => type switch
    {
        SearchParamType.String => "idx_string",
        SearchParamType.Token => "idx_token",
        SearchParamType.Reference => "idx_reference",
        SearchParamType.Date => "idx_date",
        SearchParamType.Number => "idx_number",
        SearchParamType.Quantity => "idx_quantity",
        SearchParamType.Uri => "idx_uri",
        SearchParamType.Composite => "idx_composite",
        _ => throw new InvalidOperationException($"No index table for {type}."),
    };

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>A column of the index row being tested; prefixed with the component alias inside a composite.</summary>
    private string Col(string name) => _columnPrefix + name;

    /// <summary>" = @p" for a parameter's own rows, " IN (@p1, @p2)" for a union parameter's (combo-code …).</summary>
    private string ParamIdTest(SearchParameterInfo parameter) =>
        parameter.StoredAs.Count == 0 ? " = " + Add(parameter.Id) : " IN (" + string.Join(", ", parameter.StoredAs.Select(id => Add(id))) + ")";

    private string Add(object value)
    {
        var name = "@p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add(_dialect.Parameter(name, value));
        return name;
    }
}
