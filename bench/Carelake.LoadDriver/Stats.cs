using System.Diagnostics;

namespace Carelake.LoadDriver;

/// <summary>
/// One worker's measurements. Only its own worker writes to it (no locks on the request path); the
/// progress timer reads <see cref="Completed"/> and <see cref="Failed"/>, and the runner merges after the run.
/// </summary>
public sealed class WorkerStats
{
    private readonly LatencyHistogram[] _latencies;
    private readonly long[] _requests;
    private readonly long[] _errors;
    private readonly Dictionary<int, long> _statuses = [];
    private readonly Dictionary<string, long> _failures = new(StringComparer.Ordinal);
    private long _completed;
    private long _failed;
    private long _unexpected;

    public WorkerStats(int labelCount)
    {
        _latencies = new LatencyHistogram[labelCount];
        for (var i = 0; i < labelCount; i++)
        {
            _latencies[i] = new LatencyHistogram();
        }

        _requests = new long[labelCount];
        _errors = new long[labelCount];
    }

    public long Completed => Volatile.Read(ref _completed);

    public long Failed => Volatile.Read(ref _failed);

    /// <summary>A request that got an HTTP response; its latency is recorded whatever the status.</summary>
    public void RecordResponse(int label, int status, int expectedStatus, long elapsedTicks)
    {
        _latencies[label].Record(elapsedTicks);
        _requests[label]++;
        _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
        if (status is < 200 or > 299)
        {
            _errors[label]++;
            Volatile.Write(ref _failed, _failed + 1);
        }
        else if (status != expectedStatus)
        {
            _unexpected++;
        }

        Volatile.Write(ref _completed, _completed + 1);
    }

    /// <summary>A request that got no HTTP response (timeout, refused, reset): an error without a latency.</summary>
    public void RecordFailure(int label, string kind)
    {
        _failures[kind] = _failures.GetValueOrDefault(kind) + 1;
        _requests[label]++;
        _errors[label]++;
        Volatile.Write(ref _failed, _failed + 1);
        Volatile.Write(ref _completed, _completed + 1);
    }

    /// <summary>Merges all workers into totals and per-label rows.</summary>
    public static MergedStats Merge(IReadOnlyList<WorkerStats> workers, int labelCount)
    {
        var statuses = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long total = 0, failed = 0, unexpected = 0;
        var all = new LatencyHistogram();
        var perLabel = new LatencyHistogram[labelCount];
        var perLabelRequests = new long[labelCount];
        var perLabelErrors = new long[labelCount];
        for (var label = 0; label < labelCount; label++)
        {
            perLabel[label] = new LatencyHistogram();
            foreach (var worker in workers)
            {
                perLabel[label].Add(worker._latencies[label]);
                perLabelRequests[label] += worker._requests[label];
                perLabelErrors[label] += worker._errors[label];
            }

            all.Add(perLabel[label]);
        }

        foreach (var worker in workers)
        {
            total += worker._completed;
            failed += worker._failed;
            unexpected += worker._unexpected;
            foreach (var (status, count) in worker._statuses)
            {
                var key = status.ToString();
                statuses[key] = statuses.GetValueOrDefault(key) + count;
                if (status is < 200 or > 299)
                {
                    errors[key] = errors.GetValueOrDefault(key) + count;
                }
            }

            foreach (var (kind, count) in worker._failures)
            {
                statuses[kind] = statuses.GetValueOrDefault(kind) + count;
                errors[kind] = errors.GetValueOrDefault(kind) + count;
            }
        }

        return new MergedStats(total, failed, unexpected, statuses, errors, all, perLabel, perLabelRequests, perLabelErrors);
    }
}

/// <summary>Merged measurements of all workers; latencies in Stopwatch ticks.</summary>
public sealed record MergedStats(
    long Total,
    long Failed,
    long Unexpected,
    SortedDictionary<string, long> Statuses,
    SortedDictionary<string, long> Errors,
    LatencyHistogram Latency,
    LatencyHistogram[] LabelLatency,
    long[] LabelRequests,
    long[] LabelErrors);

/// <summary>Latency in milliseconds over the requests that got an HTTP response (any status).</summary>
public sealed record LatencySummary(long Count, double Min, double Mean, double P50, double P90, double P99, double Max)
{
    public static LatencySummary From(LatencyHistogram histogram)
    {
        if (histogram.Count == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        }

        return new LatencySummary(
            histogram.Count,
            Ms(histogram.Min),
            Math.Round(histogram.Sum / (double)histogram.Count * 1000.0 / Stopwatch.Frequency, 3),
            Ms(histogram.Percentile(50)),
            Ms(histogram.Percentile(90)),
            Ms(histogram.Percentile(99)),
            Ms(histogram.Max));
    }

    private static double Ms(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 3);
}
