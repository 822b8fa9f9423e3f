using System.Collections.Concurrent;
using Fhir.Metrics;

namespace Carelake.Core.Search;

/// <summary>
/// UCUM canonical form for quantity search (R4 3.1.1.4.6): 5.4 mg and 5400 ug both become 0.0054 g, so either
/// spelling finds the other. Conversions are linear for the units that have a canonical form, so one factor per unit
/// code is computed with Fhir.Metrics and cached: a full UCUM conversion costs about 0.3 ms, far too much per index row.
/// </summary>
public static class UcumCanonicalizer
{
    public const string UcumSystem = "http://unitsofmeasure.org";

    private static readonly Lazy<SystemOfUnits> Units = new(UCUM.Load);
    private static readonly ConcurrentDictionary<string, (decimal Factor, string Code)?> Factors = new(StringComparer.Ordinal);

    /// <summary>The canonical value and unit, or null for units UCUM cannot convert linearly (e.g. Cel, [degF]) or does not know.</summary>
    public static (decimal Value, string Code)? Canonical(decimal value, string? system, string? code)
    {
        if (code is null || !string.Equals(system, UcumSystem, StringComparison.Ordinal))
        {
            return null;
        }

        var factor = Factors.GetOrAdd(code, Compute);
        if (factor is not { } f)
        {
            return null;
        }

        try
        {
            return (value * f.Factor, f.Code);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static (decimal, string)? Compute(string code)
    {
        try
        {
            var canonical = Units.Value.Canonical(Units.Value.Quantity("1", code));
            return (canonical.Value.ToDecimal(), canonical.Metric.ToString());
        }
        catch (Exception e) when (e is InvalidCastException or ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException or NullReferenceException or OverflowException or TypeInitializationException)
        {
            return null;
        }
    }
}
