using Xunit.Abstractions;

namespace Carelake.Tests.SearchOracle;

/// <summary>
/// Issue F2 acceptance: each query's result set as computed by the independent in-memory oracle must equal the server's
/// (ids, and order on the sort keys where _sort is given). One theory per feature group; each query is its own case.
/// </summary>
[Collection(OracleSuiteDefinition.Name)]
public sealed class SearchOracleTests(OracleFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string> BasicQueries => OracleQueries.Data(OracleQueries.Basic);

    public static TheoryData<string> ChainQueries => OracleQueries.Data(OracleQueries.Chains);

    public static TheoryData<string> HasQueries => OracleQueries.Data(OracleQueries.Has);

    public static TheoryData<string> IncludeQueries => OracleQueries.Data(OracleQueries.Includes);

    public static TheoryData<string> SortQueries => OracleQueries.Data(OracleQueries.Sort);

    public static TheoryData<string> SummaryQueries => OracleQueries.Data(OracleQueries.Summary);

    public static TheoryData<string> CompositeQueries => OracleQueries.Data(OracleQueries.Composite);

    public static TheoryData<string> QuantityUnitQueries => OracleQueries.Data(OracleQueries.QuantityUnits);

    public static TheoryData<string> CompartmentQueries => OracleQueries.Data(OracleQueries.Compartment);

    public static TheoryData<string> MetaQueries => OracleQueries.Data(OracleQueries.Meta);

    public static TheoryData<string> TerminologyQueries => OracleQueries.Data(OracleQueries.Terminology);

    [Theory]
    [MemberData(nameof(BasicQueries))]
    public Task Basic(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(ChainQueries))]
    public Task Chains(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(HasQueries))]
    public Task Has(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(IncludeQueries))]
    public Task Includes(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(SortQueries))]
    public Task Sort(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(SummaryQueries))]
    public Task Summary(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(CompositeQueries))]
    public Task Composite(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(QuantityUnitQueries))]
    public Task QuantityUnits(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(CompartmentQueries))]
    public Task Compartment(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(MetaQueries))]
    public Task Meta(string query) => OracleRunner.CheckAsync(fixture, query, output);

    [Theory]
    [MemberData(nameof(TerminologyQueries))]
    public Task Terminology(string query) => OracleRunner.CheckAsync(fixture, query, output);

    /// <summary>The suite's own guard rails: enough queries, none twice, and most of them matching something.</summary>
    [Fact]
    public void The_query_lists_are_large_and_distinct()
    {
        string[][] groups = [OracleQueries.Basic, OracleQueries.Chains, OracleQueries.Has, OracleQueries.Includes, OracleQueries.Sort, OracleQueries.Summary, OracleQueries.Composite, OracleQueries.QuantityUnits, OracleQueries.Compartment, OracleQueries.Meta, OracleQueries.Terminology];
        var all = groups.SelectMany(g => g).ToList();
        Assert.True(OracleQueries.Basic.Length >= 120, $"Basic has {OracleQueries.Basic.Length} queries.");
        Assert.True(all.Count >= 200, $"{all.Count} queries in all.");
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());

        var empty = all.Where(q => fixture.Oracle.Evaluate(fixture.Oracle.Expand(q)) is { Matches.Count: 0 } e && e.Summary is null).ToList();
        output.WriteLine($"{fixture.Data.All.Count} resources loaded ({fixture.LoadReport}); {all.Count} queries, {empty.Count} expected to match nothing:");
        foreach (var query in empty)
        {
            output.WriteLine("  " + query);
        }

        Assert.True(empty.Count * 5 < all.Count, $"{empty.Count} of {all.Count} queries match nothing.");
    }
}
