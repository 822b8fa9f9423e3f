using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Carelake.Tests.SearchOracle;

/// <summary>Case and accent folding for string search (R4 3.1.1.5.5), written here rather than shared with the server.</summary>
public static class OracleText
{
    private static readonly Dictionary<char, string> Table = Build();

    public static string Fold(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var raw in text)
        {
            if (raw is >= '\u0300' and <= '\u036F')
            {
                continue; // combining marks of decomposed input
            }

            var c = char.ToLowerInvariant(raw);
            if (Table.TryGetValue(c, out var plain))
            {
                builder.Append(plain);
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static Dictionary<char, string> Build()
    {
        var groups = new Dictionary<string, string>
        {
            ["a"] = "àáâãäåāăąǎǟǡǻȁȃȧ",
            ["c"] = "çćĉċč",
            ["d"] = "ďđð",
            ["e"] = "èéêëēĕėęěȅȇȩ",
            ["g"] = "ĝğġģǧǵ",
            ["h"] = "ĥħȟ",
            ["i"] = "ìíîïĩīĭįıǐȉȋ",
            ["j"] = "ĵǰ",
            ["k"] = "ķǩ",
            ["l"] = "ĺļľŀł",
            ["n"] = "ñńņňǹ",
            ["o"] = "òóôõöøōŏőơǒǫǭȍȏȫȭȯȱ",
            ["r"] = "ŕŗřȑȓ",
            ["s"] = "śŝşšș",
            ["t"] = "ţťŧț",
            ["u"] = "ùúûüũūŭůűųưǔǖǘǚǜȕȗ",
            ["w"] = "ŵ",
            ["y"] = "ýÿŷȳ",
            ["z"] = "źżž",
            ["ss"] = "ß",
            ["ae"] = "æ",
            ["oe"] = "œ",
            ["th"] = "þ",
        };
        var table = new Dictionary<char, string>();
        foreach (var (plain, letters) in groups)
        {
            foreach (var letter in letters)
            {
                table[letter] = plain;
            }
        }

        return table;
    }
}

/// <summary>A date, dateTime or instant as the closed range of UTC ticks its precision denotes (no zone: UTC).</summary>
public readonly partial record struct OracleDate(long Low, long High)
{
    public static readonly long Min = DateTime.MinValue.Ticks;
    public static readonly long Max = DateTime.MaxValue.Ticks;

    public static OracleDate? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var m = Pattern().Match(text);
        if (!m.Success)
        {
            return null;
        }

        int Part(int group, int fallback) => m.Groups[group].Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : fallback;
        var year = Part(1, 1);
        var month = Part(2, 1);
        var day = Part(3, 1);
        var hour = Part(4, 0);
        var minute = Part(5, 0);
        var second = Part(6, 0);
        var offset = TimeSpan.Zero;
        if (m.Groups[8].Success && m.Groups[8].Value != "Z")
        {
            var zone = m.Groups[8].Value;
            offset = new TimeSpan(int.Parse(zone[1..3], CultureInfo.InvariantCulture), int.Parse(zone[4..6], CultureInfo.InvariantCulture), 0);
            if (zone[0] == '-')
            {
                offset = -offset;
            }
        }

        var start = new DateTimeOffset(year, month, day, hour, minute, second, offset);
        DateTimeOffset end;
        if (!m.Groups[2].Success)
        {
            end = start.AddYears(1);
        }
        else if (!m.Groups[3].Success)
        {
            end = start.AddMonths(1);
        }
        else if (!m.Groups[4].Success)
        {
            end = start.AddDays(1);
        }
        else if (!m.Groups[6].Success)
        {
            end = start.AddMinutes(1);
        }
        else if (!m.Groups[7].Success)
        {
            end = start.AddSeconds(1);
        }
        else
        {
            var fraction = m.Groups[7].Value;
            var digits = Math.Min(fraction.Length, 7);
            var ticks = long.Parse(fraction[..digits].PadRight(7, '0'), CultureInfo.InvariantCulture);
            start = start.AddTicks(ticks);
            end = start.AddTicks((long)Math.Pow(10, 7 - digits));
        }

        return new OracleDate(start.UtcTicks, end.UtcTicks - 1);
    }

    [GeneratedRegex(@"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$")]
    private static partial Regex Pattern();
}

/// <summary>A decimal search value with the range its written precision implies (R4 3.1.1.4.2: 100 is [99.5, 100.5), 1e2 is [50, 150)).</summary>
public readonly record struct OracleNumber(decimal Value, decimal Low, decimal High)
{
    public static OracleNumber? Parse(string text)
    {
        var m = Regex.Match(text, @"^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$");
        if (!m.Success)
        {
            return null;
        }

        var decimals = m.Groups[3].Value.Length;
        var exponent = m.Groups[4].Success ? int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) : 0;
        var mantissa = decimal.Parse(m.Groups[1].Value + m.Groups[2].Value + (decimals > 0 ? "." + m.Groups[3].Value : string.Empty), CultureInfo.InvariantCulture);
        var value = mantissa * Pow10(exponent);
        var half = 0.5m * Pow10(exponent - decimals);
        return new OracleNumber(value, value - half, value + half);
    }

    public static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result = exponent > 0 ? result * 10 : result / 10;
        }

        return result;
    }
}

/// <summary>
/// A small UCUM canonicaliser: enough of the grammar (prefixes, atoms, '.', '/', exponents, 10*n, annotations) for the
/// units in clinical data. A unit it cannot read is not converted (it then only matches its own code).
/// </summary>
public static class OracleUcum
{
    public const string System = "http://unitsofmeasure.org";

    // Dimensions: g, m, s, mol, L is m3/1000 (kept as its own base to stay exact), Hg pressure is its own base.
    private static readonly Dictionary<string, (decimal Factor, string Dimension)> Atoms = new(StringComparer.Ordinal)
    {
        ["g"] = (1m, "g"),
        ["m"] = (1m, "m"),
        ["s"] = (1m, "s"),
        ["min"] = (60m, "s"),
        ["h"] = (3600m, "s"),
        ["d"] = (86400m, "s"),
        ["wk"] = (604800m, "s"),
        ["a"] = (31557600m, "s"),
        ["mo"] = (2629800m, "s"),
        ["mol"] = (1m, "mol"),
        ["L"] = (1m, "L"),
        ["l"] = (1m, "L"),
        ["%"] = (0.01m, string.Empty),
        ["1"] = (1m, string.Empty),
        ["[lb_av]"] = (453.59237m, "g"),
        ["[oz_av]"] = (28.349523125m, "g"),
        ["[in_i]"] = (0.0254m, "m"),
        ["[ft_i]"] = (0.3048m, "m"),
        ["m[Hg]"] = (1m, "m[Hg]"),
        ["[iU]"] = (1m, "[iU]"),
        ["[IU]"] = (1m, "[iU]"),
        ["U"] = (1m, "U"),
        ["eq"] = (1m, "eq"),
    };

    private static readonly Dictionary<string, decimal> Prefixes = new(StringComparer.Ordinal)
    {
        ["k"] = 1e3m,
        ["h"] = 1e2m,
        ["da"] = 1e1m,
        ["d"] = 1e-1m,
        ["c"] = 1e-2m,
        ["m"] = 1e-3m,
        ["u"] = 1e-6m,
        ["n"] = 1e-9m,
        ["p"] = 1e-12m,
        ["f"] = 1e-15m,
    };

    /// <summary>The factor to the canonical unit and that unit's dimension signature; null when the code is not understood.</summary>
    public static (decimal Factor, string Dimension)? Canonical(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return null;
        }

        var text = Regex.Replace(code, @"\{[^}]*\}", "1");
        var dims = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var factor = 1m;
        var sign = 1;
        var term = new StringBuilder();
        var depth = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : '\0';
            if (c == '[')
            {
                depth++;
            }
            else if (c == ']')
            {
                depth--;
            }

            if (depth == 0 && (c is '.' or '/' or '\0'))
            {
                if (term.Length == 0 && c == '/' && i == 0)
                {
                    sign = -1;
                    continue;
                }

                if (Term(term.ToString()) is not { } parsed)
                {
                    return null;
                }

                factor = sign > 0 ? factor * parsed.Factor : factor / parsed.Factor;
                foreach (var (dimension, power) in parsed.Dims)
                {
                    dims[dimension] = dims.GetValueOrDefault(dimension) + (sign * power);
                }

                term.Clear();
                sign = c == '/' ? -1 : 1;
                continue;
            }

            term.Append(c);
        }

        var signature = string.Join(".", dims.Where(d => d.Value != 0).Select(d => d.Key + d.Value.ToString(CultureInfo.InvariantCulture)));
        return (factor, signature);
    }

    private static (decimal Factor, List<(string, int)> Dims)? Term(string term)
    {
        if (term.Length == 0)
        {
            return null;
        }

        var power = Regex.Match(term, @"^10\*([+-]?\d+)$");
        if (power.Success)
        {
            return (OracleNumber.Pow10(int.Parse(power.Groups[1].Value, CultureInfo.InvariantCulture)), []);
        }

        if (term.All(char.IsAsciiDigit))
        {
            return (decimal.Parse(term, CultureInfo.InvariantCulture), []);
        }

        var exponent = 1;
        var e = Regex.Match(term, @"^(.*?[^\d+-])([+-]?\d+)$");
        if (e.Success && !term.EndsWith(']'))
        {
            term = e.Groups[1].Value;
            exponent = int.Parse(e.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        (decimal Factor, string Dimension)? unit = null;
        if (Atoms.TryGetValue(term, out var atom))
        {
            unit = atom;
        }
        else
        {
            foreach (var (prefix, scale) in Prefixes.OrderByDescending(p => p.Key.Length))
            {
                if (term.StartsWith(prefix, StringComparison.Ordinal) && Atoms.TryGetValue(term[prefix.Length..], out var prefixed))
                {
                    unit = (scale * prefixed.Factor, prefixed.Dimension);
                    break;
                }
            }
        }

        if (unit is not { } found)
        {
            return null;
        }

        var total = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            total = exponent > 0 ? total * found.Factor : total / found.Factor;
        }

        return (total, found.Dimension.Length == 0 ? [] : [(found.Dimension, exponent)]);
    }
}
