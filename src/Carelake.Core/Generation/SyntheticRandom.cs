using System.Diagnostics.CodeAnalysis;

namespace Carelake.Core.Generation;

/// <summary>
/// The single source of randomness for generation. Every draw goes through this wrapper so the whole data set is a
/// pure function of the seed, and the CA5394 suppression lives in exactly one place.
/// </summary>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Synthetic test data must be reproducible from a seed; nothing here is security-relevant.")]
internal sealed class SyntheticRandom(int seed)
{
    private const double Sqrt3 = 1.7320508075688772;

    // A seeded System.Random uses the legacy algorithm, whose sequence .NET keeps stable across versions.
    private readonly Random _random = new(seed);

    public double NextDouble() => _random.NextDouble();

    /// <summary>Uniform integer in [0, maxExclusive).</summary>
    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    /// <summary>Uniform integer in [minInclusive, maxInclusive].</summary>
    public int Between(int minInclusive, int maxInclusive) => _random.Next(minInclusive, maxInclusive + 1);

    /// <summary>Uniform real number in [min, max).</summary>
    public double Between(double min, double max) => min + (_random.NextDouble() * (max - min));

    public bool Chance(double probability) => _random.NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>
    /// Approximately normal draw (Irwin–Hall with four uniforms, bounded at ±3.46 sd). Summing uniforms avoids
    /// Math.Log/Math.Cos, whose last bits may differ between platforms, so output bytes stay identical everywhere,
    /// and the bound keeps vitals and labs inside physiologically possible values.
    /// </summary>
    public double Normal(double mean, double standardDeviation)
    {
        var sum = _random.NextDouble() + _random.NextDouble() + _random.NextDouble() + _random.NextDouble();
        return mean + ((sum - 2.0) * Sqrt3 * standardDeviation);
    }

    public T PickWeighted<T>(IReadOnlyList<(T Item, double Weight)> items)
    {
        var total = 0.0;
        foreach (var (_, weight) in items)
        {
            total += weight;
        }

        var target = _random.NextDouble() * total;
        foreach (var (item, weight) in items)
        {
            target -= weight;
            if (target < 0)
            {
                return item;
            }
        }

        return items[^1].Item;
    }
}
