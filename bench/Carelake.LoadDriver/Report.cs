using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Carelake.LoadDriver;

/// <summary>The first failed request of the run (non-2xx status or transport failure), body cut short.</summary>
public sealed record ErrorSample(string Label, string Status, string Body);

public sealed record SeedSummary(int Requested, int Created, int Failed, double Seconds);

/// <summary>One row of the per-query (search) or per-operation (mixed) table.</summary>
public sealed record BreakdownRow(string Label, long Requests, long Errors, LatencySummary LatencyMs);

public sealed record RunResult(
    string Scenario,
    string BaseUrl,
    int Concurrency,
    double DurationSeconds,
    double WarmupSeconds,
    long? MaxRequests,
    double ElapsedSeconds,
    bool Interrupted,
    long TotalRequests,
    long SuccessfulRequests,
    long ErrorCount,
    SortedDictionary<string, long> Errors,
    SortedDictionary<string, long> StatusCounts,
    long UnexpectedStatusCount,
    ErrorSample? FirstError,
    double ThroughputRps,
    LatencySummary LatencyMs,
    IReadOnlyList<BreakdownRow>? Breakdown,
    SeedSummary? Seed,
    double DriverCpuPercent,
    int ProcessorCount,
    DateTimeOffset StartedUtc);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunResult))]
public sealed partial class ReportJsonContext : JsonSerializerContext;

public static class Report
{
    private const int LabelWidth = 56;

    public static string ToJson(RunResult result) => JsonSerializer.Serialize(result, ReportJsonContext.Default.RunResult);

    public static string ToText(RunResult result)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine($"scenario      {result.Scenario}{(result.Interrupted ? "  (interrupted)" : "")}");
        text.AppendLine($"base          {result.BaseUrl}");
        text.AppendLine($"concurrency   {result.Concurrency}");
        var bound = result.MaxRequests is { } max ? $", max {max} requests" : "";
        text.AppendLine($"duration      {result.ElapsedSeconds:0.00} s measured (asked {result.DurationSeconds:0.##} s{bound}; warmup {result.WarmupSeconds:0.##} s discarded)");
        if (result.Seed is { } seed)
        {
            text.AppendLine($"seed          {seed.Created} patients created in {seed.Seconds:0.00} s{(seed.Failed > 0 ? $" ({seed.Failed} failed)" : "")}");
        }

        text.AppendLine($"requests      {result.TotalRequests} ({result.SuccessfulRequests} ok)");
        text.AppendLine($"throughput    {result.ThroughputRps:0.0} req/s");
        text.AppendLine($"errors        {result.ErrorCount}{FormatCounts(result.Errors)}");
        text.AppendLine($"status        {FormatCounts(result.StatusCounts).TrimStart()}");
        if (result.UnexpectedStatusCount > 0)
        {
            text.AppendLine($"unexpected    {result.UnexpectedStatusCount} responses were 2xx but not the expected status (201 for create, 200 otherwise)");
        }

        var l = result.LatencyMs;
        text.AppendLine(l.Count == 0
            ? "latency ms    n/a (no responses)"
            : $"latency ms    p50 {l.P50:0.000}   p90 {l.P90:0.000}   p99 {l.P99:0.000}   max {l.Max:0.000}   (mean {l.Mean:0.000}, min {l.Min:0.000}, n={l.Count})");
        text.AppendLine($"driver cpu    {result.DriverCpuPercent:0}% of one core ({result.ProcessorCount} cores)");

        if (result.FirstError is { } error)
        {
            text.AppendLine($"first error   [{error.Status}] {error.Label}: {error.Body}");
        }

        if (result.Breakdown is { } rows)
        {
            text.AppendLine();
            var title = result.Scenario == "search" ? "query" : "operation";
            text.AppendLine($"{title.PadRight(LabelWidth)} {"count",9} {"errors",7} {"p50 ms",9} {"p90 ms",9} {"p99 ms",9} {"max ms",9}");
            foreach (var row in rows)
            {
                var label = row.Label.Length > LabelWidth ? row.Label[..(LabelWidth - 3)] + "..." : row.Label;
                var r = row.LatencyMs;
                text.AppendLine(r.Count == 0
                    ? $"{label.PadRight(LabelWidth)} {row.Requests,9} {row.Errors,7} {"-",9} {"-",9} {"-",9} {"-",9}"
                    : $"{label.PadRight(LabelWidth)} {row.Requests,9} {row.Errors,7} {r.P50,9:0.000} {r.P90,9:0.000} {r.P99,9:0.000} {r.Max,9:0.000}");
            }
        }

        return text.ToString();
    }

    private static string FormatCounts(SortedDictionary<string, long> counts) =>
        counts.Count == 0 ? "" : "   " + string.Join("   ", counts.Select(c => $"{c.Key}: {c.Value}"));
}
