using System.Numerics;

namespace Carelake.LoadDriver;

/// <summary>
/// HdrHistogram-style log-linear histogram of Stopwatch ticks: each power of two is split into 1024 equal
/// buckets, so a percentile is off by at most 1/1024 (0.1%) of its value; count, min, max and mean are
/// exact. Recording is O(1) and allocation-free once a row exists, and memory stays bounded however long
/// the run (a row of 8 KB per power of two actually seen, typically a dozen). Not thread-safe: one per worker.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 10;
    private const int SubBucketCount = 1 << SubBucketBits;

    // Row 0 holds 0..1023 one by one; row r >= 1 holds [1024 << (r-1), 2048 << (r-1)) in steps of 1 << (r-1).
    private readonly long[]?[] _rows = new long[64 - SubBucketBits + 1][];

    public long Count { get; private set; }

    public long Sum { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public long Max { get; private set; }

    public void Record(long value)
    {
        value = Math.Max(value, 0);
        int row, sub;
        if (value < SubBucketCount)
        {
            row = 0;
            sub = (int)value;
        }
        else
        {
            var shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - SubBucketBits;
            row = shift + 1;
            sub = (int)(value >> shift) - SubBucketCount;
        }

        (_rows[row] ??= new long[SubBucketCount])[sub]++;
        Count++;
        Sum += value;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
    }

    public void Add(LatencyHistogram other)
    {
        for (var row = 0; row < _rows.Length; row++)
        {
            if (other._rows[row] is not { } source)
            {
                continue;
            }

            var target = _rows[row] ??= new long[SubBucketCount];
            for (var sub = 0; sub < SubBucketCount; sub++)
            {
                target[sub] += source[sub];
            }
        }

        Count += other.Count;
        Sum += other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>
    /// Nearest-rank percentile: the highest value of the bucket holding the ceil(p% * count)-th smallest
    /// recording, clamped to the exact min and max. 0 when empty.
    /// </summary>
    public long Percentile(double p)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Clamp((long)Math.Ceiling(p / 100.0 * Count), 1, Count);
        long seen = 0;
        for (var row = 0; row < _rows.Length; row++)
        {
            if (_rows[row] is not { } counts)
            {
                continue;
            }

            for (var sub = 0; sub < SubBucketCount; sub++)
            {
                seen += counts[sub];
                if (seen >= rank)
                {
                    return Math.Clamp(HighestInBucket(row, sub), Min, Max);
                }
            }
        }

        return Max;
    }

    private static long HighestInBucket(int row, int sub)
    {
        if (row == 0)
        {
            return sub;
        }

        var shift = row - 1;
        return ((long)(SubBucketCount + sub + 1) << shift) - 1;
    }
}
