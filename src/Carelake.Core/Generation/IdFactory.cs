namespace Carelake.Core.Generation;

/// <summary>
/// Hands out GUID-shaped resource ids that are a function of the seed and a running counter. The first 64 bits are a
/// bijective mix of the counter, so ids never collide within a run, while different seeds give unrelated ids and two
/// data sets can be loaded into one server side by side.
/// </summary>
internal sealed class IdFactory(int seed)
{
    private readonly ulong _key = Mix(0x9E3779B97F4A7C15UL + (uint)seed);
    private ulong _counter;

    public string Next()
    {
        var high = Mix(++_counter ^ _key);
        var low = Mix(high ^ ~_key);
        return string.Create(36, (high, low), static (span, parts) =>
        {
            // 8-4-4-4-12 lower-case hex: 16 digits from each half.
            Span<char> hex = stackalloc char[32];
            parts.high.TryFormat(hex, out _, "x16");
            parts.low.TryFormat(hex[16..], out _, "x16");
            hex[..8].CopyTo(span);
            span[8] = '-';
            hex[8..12].CopyTo(span[9..]);
            span[13] = '-';
            hex[12..16].CopyTo(span[14..]);
            span[18] = '-';
            hex[16..20].CopyTo(span[19..]);
            span[23] = '-';
            hex[20..].CopyTo(span[24..]);
        });
    }

    // SplitMix64 finalizer: a bijection on 64-bit values with good avalanche.
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }
}
