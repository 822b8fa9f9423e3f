using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.SearchOracle;

/// <summary>One searchset walked to its end: every entry of every page, in order.</summary>
public sealed record ServerAnswer(
    HttpStatusCode Status,
    string? ErrorBody,
    IReadOnlyList<(string Key, string Mode, JsonObject Resource)> Entries,
    IReadOnlyList<int> MatchesPerPage,
    int? Total,
    IReadOnlyList<string> Outcomes,
    string FirstUrl)
{
    public IEnumerable<string> MatchKeys => Entries.Where(e => e.Mode == "match").Select(e => e.Key);
}

/// <summary>Runs a query on the server and on the oracle and asserts they agree; failures print both differences.</summary>
public static class OracleRunner
{
    /// <summary>Page size added when a query names none, so that large result sets take a few pages, not hundreds.</summary>
    public const int WalkPageSize = 1000;

    public static async Task<ServerAnswer> SearchAsync(HttpClient client, string baseUrl, string query, int maxPages = 2000)
    {
        var question = query.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? query : query[..question];
        var parameters = question < 0 ? [] : query[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (!parameters.Any(p => p.StartsWith("_count=", StringComparison.Ordinal) || p.StartsWith("_summary=count", StringComparison.Ordinal)))
        {
            parameters.Add("_count=" + WalkPageSize);
        }

        var url = baseUrl + "/" + path + "?" + string.Join("&", parameters.Select(p =>
        {
            var equals = p.IndexOf('=', StringComparison.Ordinal);
            return equals < 0 ? Uri.EscapeDataString(p) : Uri.EscapeDataString(p[..equals]) + "=" + Uri.EscapeDataString(p[(equals + 1)..]);
        }));
        var first = url;
        var entries = new List<(string, string, JsonObject)>();
        var perPage = new List<int>();
        var outcomes = new List<string>();
        int? total = null;
        string? next = url;
        while (next is not null)
        {
            if (perPage.Count >= maxPages)
            {
                throw new InvalidOperationException($"More than {maxPages} pages for {first}: the next links do not end.");
            }

            using var response = await client.GetAsync(next);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new ServerAnswer(response.StatusCode, body, entries, perPage, total, outcomes, first);
            }

            var bundle = JsonNode.Parse(body)!.AsObject();
            if (perPage.Count == 0 && bundle["total"] is { } t)
            {
                total = t.GetValue<int>();
            }

            var matches = 0;
            foreach (var entry in bundle["entry"]?.AsArray() ?? [])
            {
                var resource = entry!["resource"]?.AsObject();
                var mode = (string?)entry["search"]?["mode"] ?? "match";
                if (resource is null)
                {
                    continue;
                }

                if (mode == "outcome" || (string?)resource["resourceType"] == "OperationOutcome")
                {
                    outcomes.AddRange(resource["issue"]?.AsArray().Select(i => $"{i!["severity"]}: {i["diagnostics"]}") ?? []);
                    continue;
                }

                entries.Add(($"{resource["resourceType"]}/{resource["id"]}", mode, resource));
                if (mode == "match")
                {
                    matches++;
                }
            }

            perPage.Add(matches);
            next = bundle["link"]?.AsArray().FirstOrDefault(l => (string?)l!["relation"] == "next")?["url"]?.GetValue<string>();
        }

        return new ServerAnswer(HttpStatusCode.OK, null, entries, perPage, total, outcomes, first);
    }

    public static async Task CheckAsync(OracleFixture fixture, string template, ITestOutputHelper output)
    {
        var query = fixture.Oracle.Expand(template);
        var expected = fixture.Oracle.Evaluate(query);
        var answer = await SearchAsync(fixture.Server.Client, fixture.Data.BaseUrl, query);
        output.WriteLine($"query:    {query}");
        output.WriteLine($"url:      {answer.FirstUrl}");
        output.WriteLine($"expected: {expected.Matches.Count} matches, {expected.Included.Count} included");

        var problems = new List<string>();
        if (answer.Status != HttpStatusCode.OK)
        {
            Assert.Fail($"{query}\nThe server answered {(int)answer.Status} {answer.Status}: {Shorten(answer.ErrorBody ?? string.Empty, 1500)}\n(the oracle expects {expected.Matches.Count} matches)");
        }

        if (answer.Outcomes.Count > 0)
        {
            problems.Add("The server reported (search.mode = outcome): " + string.Join(" | ", answer.Outcomes));
        }

        var actual = answer.MatchKeys.ToList();
        output.WriteLine($"server:   {actual.Count} matches in {answer.MatchesPerPage.Count} page(s), {answer.Entries.Count(e => e.Mode == "include")} included, total={answer.Total?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");

        if (expected.Summary == "count")
        {
            if (answer.Total != expected.Matches.Count)
            {
                problems.Add($"_summary=count: Bundle.total is {answer.Total?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"}, expected {expected.Matches.Count}.");
            }

            if (actual.Count > 0)
            {
                problems.Add($"_summary=count: the Bundle carries {actual.Count} match entries, expected none.");
            }

            Report(query, problems);
            return;
        }

        var duplicates = actual.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
        if (duplicates.Count > 0)
        {
            problems.Add($"{duplicates.Count} ids returned more than once: {string.Join(", ", duplicates.Take(10))}");
        }

        var expectedKeys = expected.Matches.Select(OracleData.Key).ToHashSet(StringComparer.Ordinal);
        var actualKeys = actual.ToHashSet(StringComparer.Ordinal);
        DescribeDifference(fixture, query, "match", expectedKeys, actualKeys, problems);

        if (expected.Count is { } count && answer.MatchesPerPage.Any(n => n > count))
        {
            problems.Add($"A page holds more than _count={count} matches: {string.Join(",", answer.MatchesPerPage)}.");
        }

        if (expected.Total && answer.Total != expected.Matches.Count)
        {
            problems.Add($"_total=accurate: Bundle.total is {answer.Total?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"}, expected {expected.Matches.Count}.");
        }

        if (expected.Sort.Count > 0)
        {
            CheckOrder(fixture, expected, actual, problems);
        }

        if (expected.Included.Count > 0 || answer.Entries.Any(e => e.Mode == "include"))
        {
            var includedExpected = expected.Included.Select(OracleData.Key).ToHashSet(StringComparer.Ordinal);
            var includedActual = answer.Entries.Where(e => e.Mode == "include").Select(e => e.Key).Where(k => !actualKeys.Contains(k)).ToHashSet(StringComparer.Ordinal);
            DescribeDifference(fixture, query, "include", includedExpected, includedActual, problems);
        }

        if (expected.Elements is { } elements)
        {
            CheckElements(fixture, answer, elements, problems);
        }

        if (expected.Summary is "true" or "data" or "text")
        {
            CheckSummary(fixture, answer, expected.Summary, problems);
        }

        Report(query, problems);
    }

    private static void Report(string query, List<string> problems)
    {
        if (problems.Count > 0)
        {
            Assert.Fail(query + "\n" + string.Join("\n", problems));
        }
    }

    private static void DescribeDifference(OracleFixture fixture, string query, string what, HashSet<string> expected, HashSet<string> actual, List<string> problems)
    {
        var missing = expected.Where(k => !actual.Contains(k)).ToList();
        var extra = actual.Where(k => !expected.Contains(k)).ToList();
        if (missing.Count == 0 && extra.Count == 0)
        {
            return;
        }

        var text = new StringBuilder();
        text.AppendLine($"{what} sets differ: expected {expected.Count}, server {actual.Count}; {missing.Count} missing from the server, {extra.Count} unexpected.");
        foreach (var key in missing.Take(8))
        {
            text.AppendLine("  missing:    " + Describe(fixture, query, key));
        }

        foreach (var key in extra.Take(8))
        {
            text.AppendLine("  unexpected: " + Describe(fixture, query, key));
        }

        problems.Add(text.ToString().TrimEnd());
    }

    /// <summary>A resource with the oracle's values of the parameters the query names, to see why it (does not) match.</summary>
    private static string Describe(OracleFixture fixture, string query, string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var resource = fixture.Data.Get(key[..slash], key[(slash + 1)..]);
        if (resource is null)
        {
            return key + " (not in the loaded data)";
        }

        var question = query.IndexOf('?', StringComparison.Ordinal);
        var codes = question < 0 ? [] : query[(question + 1)..].Split('&')
            .Select(p => p.Split('=')[0].Split(':')[0].Split('.')[0])
            .Where(c => !c.StartsWith('_') || c is "_id" or "_lastUpdated" or "_tag" or "_profile")
            .Distinct(StringComparer.Ordinal);
        var parts = new List<string>();
        foreach (var code in codes)
        {
            if (SearchOracle.TryParam(resource.TypeName, code) is not { } param || param.Type == SearchParamType.Composite)
            {
                continue;
            }

            try
            {
                parts.Add($"{code}=[{string.Join("; ", fixture.Oracle.Values(resource, param).Take(6).Select(Format))}]");
            }
            catch (InvalidOperationException e)
            {
                parts.Add($"{code}=<{e.Message}>");
            }
        }

        return Shorten($"{key} {string.Join(" ", parts)}", 400);
    }

    public static string Format(object value) => value switch
    {
        TokenValue t => $"{t.System}|{t.Code}" + (t.NonEmptyTexts.Any() ? $" ({string.Join("/", t.NonEmptyTexts.Distinct())})" : string.Empty),
        OracleDate d => $"{Ticks(d.Low)}..{Ticks(d.High)}",
        QuantityValue q => $"{q.Value} {q.System}|{q.Code} ({q.Unit})",
        decimal n => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string Ticks(long ticks) =>
        ticks == OracleDate.Min ? "-inf" : ticks == OracleDate.Max ? "+inf" : new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static void CheckOrder(OracleFixture fixture, OracleExpectation expected, List<string> actual, List<string> problems)
    {
        var resources = actual.Select(k => fixture.Data.Get(k.Split('/')[0], k.Split('/')[1])).ToList();
        int FirstBreak(IComparer<Resource> comparer)
        {
            for (var i = 1; i < resources.Count; i++)
            {
                if (resources[i - 1] is { } previous && resources[i] is { } current && comparer.Compare(previous, current) > 0)
                {
                    return i;
                }
            }

            return -1;
        }

        // Ties are in no specified order, and neither is the place of resources without a value (first or last).
        var nullsLast = FirstBreak(fixture.Oracle.SortComparer(expected.Sort, tieBreakOnId: false));
        var nullsFirst = FirstBreak(fixture.Oracle.SortComparer(expected.Sort, tieBreakOnId: false, nullsFirst: true));
        if (nullsLast >= 0 && nullsFirst >= 0)
        {
            var i = Math.Max(nullsLast, nullsFirst);
            if (resources[i - 1] is { } previous && resources[i] is { } current)
            {
                string Keys(Resource r) => string.Join(", ", expected.Sort.Select(k => $"{(k.Descending ? "-" : string.Empty)}{k.Code}={SortText(fixture.Oracle.SortValue(r, k))}"));
                problems.Add($"Sort order broken at position {i}: {actual[i - 1]} ({Keys(previous)}) comes before {actual[i]} ({Keys(current)}).");
            }
        }
    }

    private static string SortText(IComparable? value) => value switch
    {
        null => "(none)",
        long ticks => Ticks(ticks),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static readonly HashSet<string> Always = new(StringComparer.Ordinal) { "resourceType", "id", "meta" };

    private static void CheckElements(OracleFixture fixture, ServerAnswer answer, IReadOnlyList<string> elements, List<string> problems)
    {
        foreach (var (key, mode, json) in answer.Entries.Where(e => e.Mode == "match").Take(200))
        {
            var original = fixture.Data.Json(key);
            var unexpected = json.Select(p => p.Key).Where(k => !Always.Contains(k) && !elements.Contains(k)).ToList();
            var lost = elements.Where(e => original.ContainsKey(e) && !JsonNode.DeepEquals(original[e], json[e])).ToList();
            if (unexpected.Count > 0 || lost.Count > 0)
            {
                problems.Add($"_elements: {key} has extra elements [{string.Join(",", unexpected)}] and lost or changed [{string.Join(",", lost)}].");
                return;
            }
        }
    }

    private static void CheckSummary(OracleFixture fixture, ServerAnswer answer, string summary, List<string> problems)
    {
        foreach (var (key, mode, json) in answer.Entries.Where(e => e.Mode == "match").Take(200))
        {
            var resource = fixture.Data.Get(key.Split('/')[0], key.Split('/')[1])!;
            var original = fixture.Data.Json(key);
            var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(resource.GetType())!;

            // JSON names of choice elements carry their type (deceasedDateTime for deceased[x]).
            PropertyMapping? Element(string name) => mapping.PropertyMappings.FirstOrDefault(m =>
                m.Name == name || (m.Choice == ChoiceType.DatatypeChoice && name.StartsWith(m.Name, StringComparison.Ordinal) && name.Length > m.Name.Length && char.IsUpper(name[m.Name.Length])));
            bool InSummary(string name) => Element(name) is { } m && (m.InSummary || m.IsMandatoryElement);
            List<string> allowed = summary switch
            {
                "true" => original.Select(p => p.Key).Where(k => Always.Contains(k) || InSummary(k)).ToList(),
                "data" => original.Select(p => p.Key).Where(k => k != "text").ToList(),
                _ => original.Select(p => p.Key).Where(k => Always.Contains(k) || k == "text" || (Element(k)?.IsMandatoryElement ?? false)).ToList(),
            };
            var extra = json.Select(p => p.Key).Where(k => !allowed.Contains(k) && k != "meta").ToList();
            // _summary=true applies inside elements too (an Address keeps no extension), so only the top level is compared.
            var lost = allowed.Where(k => k != "meta" && (!json.ContainsKey(k) || (summary != "true" && !JsonNode.DeepEquals(original[k], json[k])))).ToList();
            if (extra.Count > 0 || lost.Count > 0)
            {
                problems.Add($"_summary={summary}: {key} has elements outside the summary [{string.Join(",", extra)}] and lost or changed [{string.Join(",", lost)}].");
                return;
            }
        }
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
