using Carelake.Core.Search;
using Carelake.Storage.SearchSql;
using Carelake.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Carelake.Tests.Http;

/// <summary>
/// The common search shapes use indexes: no scan of the resource table, no temporary sort, index tables reached
/// through their covering or sid indexes. Checked with SQLite's EXPLAIN QUERY PLAN on the real schema.
/// </summary>
[Trait("Provider", "SqliteOnly")]
public sealed class QueryPlanTests(TestServer server) : IClassFixture<TestServer>
{
    public static TheoryData<string, string> Queries => new()
    {
        { "Patient", "_count=20" },
        { "Patient", "family=smi" },
        { "Patient", "family:exact=Smith&given=jo" },
        { "Patient", "identifier=http://carelake.dev/fhir/mrn|MRN00000001" },
        { "Patient", "birthdate=1970" },
        { "Patient", "birthdate=ge1970&gender=female&family=smi" },
        { "Patient", "_id=a,b,c" },
        { "Observation", "subject=Patient/123&code=http://loinc.org|8867-4" },
        { "Observation", "code=http://loinc.org|8867-4&subject=Patient/123&date=ge2020-01-01" },
        { "Observation", "patient=123&category=vital-signs" },
        { "Observation", "code=http://loinc.org|8867-4&value-quantity=gt100" },
        { "Encounter", "date=ge2024-01-01&class=IMP" },
        { "Encounter", "subject=Patient/1&status=finished" },
        { "Condition", "code=http://snomed.info/sct|44054006&clinical-status=active" },
        { "Observation", "subject:Patient.family=smith" },
        { "Patient", "_has:Observation:patient:code=4548-4" },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public void Common_searches_use_indexes_and_need_no_table_scan_or_sort(string type, string query)
    {
        var parsed = new SearchQueryParser(server.Services.Registry).Parse(type, QueryString.Parse(query), strict: true);
        var (sql, parameters) = SearchSqlBuilder.BuildPage(SqlDialect.Sqlite, parsed.Query, default, 21);
        var plan = ExplainQueryPlan(sql, parameters);

        Assert.DoesNotContain("SCAN r", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"SCAN idx_\w+\b(?! USING)", plan);
        Assert.Matches(@"SEARCH r USING (INTEGER PRIMARY KEY|INDEX ix_resource_type \(type=\?\))", plan);
    }

    public static TheoryData<string, string> SortedAndChainedQueries => new()
    {
        { "Observation", "patient=123&code=http://loinc.org|8867-4&date=ge2024-01-01&_sort=-date" },
        { "Patient", "family=smi&_sort=birthdate,-family" },
        { "Encounter", "patient=1&_sort=-date,status" },
        { "Observation", "subject:Patient.general-practitioner:Practitioner.family=Taylor&code=http://loinc.org|2339-0" },
        { "Observation", "subject:Patient.family=smith&code=http://loinc.org|8867-4" },
    };

    /// <summary>
    /// Sort keys and chain probes look up one resource's rows through the (sid, param_id) index. A search constrained
    /// by param_id alone would walk every value of the parameter for each row (SQLite's MIN/MAX shortcut picks the
    /// value index unless told otherwise).
    /// </summary>
    [Theory]
    [MemberData(nameof(SortedAndChainedQueries))]
    public void Sort_keys_and_chain_probes_never_walk_a_whole_parameter(string type, string query)
    {
        var parsed = new SearchQueryParser(server.Services.Registry).Parse(type, QueryString.Parse(query), strict: true);
        var (sql, parameters) = SearchSqlBuilder.BuildPage(SqlDialect.Sqlite, parsed.Query, default, 21);
        var plan = ExplainQueryPlan(sql, parameters);

        Assert.DoesNotMatch(@"INDEX ix_idx_\w+ \(param_id=\?\)", plan);
        Assert.DoesNotContain("SCAN r", plan, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"SCAN idx_\w+\b(?! USING)", plan);
    }

    public static TheoryData<string, string, string> StreamedQueries => new()
    {
        { "Observation", "code=http://loinc.org|2339-0&value-quantity=gt100", "ix_idx_token_code (param_id=? AND code=? AND system=?)" },
        { "Condition", "code=http://snomed.info/sct|10509002&_include=Condition:subject", "ix_idx_token_code (param_id=? AND code=? AND system=?)" },
        { "Observation", "subject=Patient/123&date=ge2020", "ix_idx_reference_target (param_id=? AND target_id=? AND target_type=?)" },
    };

    /// <summary>
    /// A driver stored in sid order (token system|code, reference Type/id) is read as a join in index order: the page
    /// ends after _count matches instead of after listing every match (no LIST SUBQUERY, no temporary b-tree).
    /// </summary>
    [Theory]
    [MemberData(nameof(StreamedQueries))]
    public void Drivers_stored_in_sid_order_stream_one_page(string type, string query, string driverIndex)
    {
        var parsed = new SearchQueryParser(server.Services.Registry).Parse(type, QueryString.Parse(query), strict: true);
        var (sql, parameters) = SearchSqlBuilder.BuildPage(SqlDialect.Sqlite, parsed.Query, default, 21);
        var plan = ExplainQueryPlan(sql, parameters);

        Assert.StartsWith("SEARCH d USING COVERING INDEX " + driverIndex, plan, StringComparison.Ordinal);
        Assert.DoesNotContain("LIST SUBQUERY", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    /// <summary>A code searched without a system streams when the store found it under one system only.</summary>
    [Fact]
    public void A_code_under_a_single_system_streams_without_naming_the_system()
    {
        var parsed = new SearchQueryParser(server.Services.Registry).Parse("Encounter", QueryString.Parse("class=IMP&date=ge2025-02-01"), strict: true);
        var classCriterion = parsed.Query.Criteria.Single(c => c.Code == "class");

        var (sql, parameters) = SearchSqlBuilder.BuildPage(SqlDialect.Sqlite, parsed.Query, default, 21, singleSystems: new Dictionary<SearchCriterion, string?>(ReferenceEqualityComparer.Instance) { [classCriterion] = "http://terminology.hl7.org/CodeSystem/v3-ActCode" });
        var plan = ExplainQueryPlan(sql, parameters);
        Assert.StartsWith("SEARCH d USING COVERING INDEX ix_idx_token_code (param_id=? AND code=? AND system=?)", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);

        var (listed, listedParameters) = SearchSqlBuilder.BuildPage(SqlDialect.Sqlite, parsed.Query, default, 21);
        Assert.Contains("LIST SUBQUERY", ExplainQueryPlan(listed, listedParameters), StringComparison.Ordinal);
    }

    /// <summary>
    /// A chain with many targets (here marked wide, as the store does after counting them) is probed per row while
    /// the code streams; a narrow one drives. Both plans stay on indexes.
    /// </summary>
    [Fact]
    public void A_wide_chain_is_probed_and_a_narrow_one_drives()
    {
        var parsed = new SearchQueryParser(server.Services.Registry).Parse("Observation", QueryString.Parse("subject:Patient.general-practitioner:Practitioner.family=Taylor&code=http://loinc.org|2339-0"), strict: true);
        var chain = parsed.Query.Criteria.Single(c => c.Chain is not null);

        var (wideSql, wideParameters) = SearchSqlBuilder.BuildPage(SqlDialect.Sqlite, parsed.Query, default, 21, wideChains: new HashSet<SearchCriterion>([chain], ReferenceEqualityComparer.Instance));
        var wide = ExplainQueryPlan(wideSql, wideParameters);
        Assert.StartsWith("SEARCH d USING COVERING INDEX ix_idx_token_code", wide, StringComparison.Ordinal);
        Assert.Contains("SEARCH ref1 EXISTS USING INDEX ix_idx_reference_sid (sid=? AND param_id=?)", wide, StringComparison.Ordinal);

        var (narrowSql, narrowParameters) = SearchSqlBuilder.BuildPage(SqlDialect.Sqlite, parsed.Query, default, 21);
        var narrow = ExplainQueryPlan(narrowSql, narrowParameters);
        Assert.Contains("SEARCH ref1 USING COVERING INDEX ix_idx_reference_target", narrow, StringComparison.Ordinal);
        Assert.Contains("SEARCH idx_token EXISTS USING INDEX ix_idx_token_sid", narrow, StringComparison.Ordinal);
    }

    private string ExplainQueryPlan(string sql, IReadOnlyList<System.Data.Common.DbParameter> parameters)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "carelake.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter.ParameterName, parameter.Value);
        }

        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join('\n', lines);
    }
}
