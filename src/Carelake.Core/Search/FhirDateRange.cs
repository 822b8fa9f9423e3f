using System.Globalization;

namespace Carelake.Core.Search;

/// <summary>
/// A FHIR date, dateTime or instant as the closed range of instants it denotes, at the precision written:
/// "1970" is [1970-01-01T00:00:00, 1970-12-31T23:59:59.9999999]. Values without a time zone are taken as UTC
/// (documented server behaviour). Stored and compared as UTC ticks so SQL can use plain integer comparisons.
/// </summary>
public readonly record struct FhirDateRange(long Low, long High)
{
    public static readonly FhirDateRange Unbounded = new(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);

    public static FhirDateRange Point(DateTimeOffset instant) => new(instant.UtcTicks, instant.UtcTicks);

    public static FhirDateRange Between(FhirDateRange? start, FhirDateRange? end) =>
        new(start?.Low ?? DateTime.MinValue.Ticks, end?.High ?? DateTime.MaxValue.Ticks);

    public static bool TryParse(string? text, out FhirDateRange range)
    {
        range = default;
        if (string.IsNullOrEmpty(text) || text.Length < 4)
        {
            return false;
        }

        if (!int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year) || year < 1)
        {
            return false;
        }

        if (text.Length == 4)
        {
            var start = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            range = new FhirDateRange(start.Ticks, start.AddYears(1).Ticks - 1);
            return true;
        }

        if (text.Length == 7 && text[4] == '-' && TwoDigits(text, 5, out var month) && month is >= 1 and <= 12)
        {
            var start = new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Utc);
            range = new FhirDateRange(start.Ticks, start.AddMonths(1).Ticks - 1);
            return true;
        }

        if (text.Length == 10)
        {
            if (!DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var day))
            {
                return false;
            }

            range = new FhirDateRange(day.Ticks, day.AddDays(1).Ticks - 1);
            return true;
        }

        return TryParseDateTime(text, out range);
    }

    private static bool TryParseDateTime(string text, out FhirDateRange range)
    {
        range = default;
        if (text.Length < 16 || text[10] != 'T')
        {
            return false;
        }

        // Precision is what was written: minutes, seconds, or fractions of a second.
        var zoneStart = text.IndexOfAny(['Z', '+', '-'], 16);
        var local = zoneStart < 0 ? text : text[..zoneStart];
        var zone = zoneStart < 0 ? "Z" : text[zoneStart..];
        TimeSpan precision;
        string format;
        switch (local.Length)
        {
            case 16:
                precision = TimeSpan.FromMinutes(1);
                format = "yyyy-MM-ddTHH:mm";
                break;
            case 19:
                precision = TimeSpan.FromSeconds(1);
                format = "yyyy-MM-ddTHH:mm:ss";
                break;
            case > 20 when local[19] == '.':
                var digits = Math.Min(local.Length - 20, 7);
                precision = TimeSpan.FromTicks((long)Math.Pow(10, 7 - digits));
                local = local[..(20 + digits)];
                format = "yyyy-MM-ddTHH:mm:ss." + new string('F', digits);
                break;
            default:
                return false;
        }

        if (!DateTime.TryParseExact(local, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall))
        {
            return false;
        }

        TimeSpan offset;
        if (zone == "Z")
        {
            offset = TimeSpan.Zero;
        }
        else if (zone.Length == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':'
                 && TwoDigits(zone, 1, out var hours) && TwoDigits(zone, 4, out var minutes) && hours <= 14 && minutes < 60)
        {
            offset = new TimeSpan(hours, minutes, 0);
            if (zone[0] == '-')
            {
                offset = -offset;
            }
        }
        else
        {
            return false;
        }

        var low = new DateTimeOffset(DateTime.SpecifyKind(wall, DateTimeKind.Unspecified), offset).UtcTicks;
        range = new FhirDateRange(low, low + precision.Ticks - 1);
        return true;
    }

    private static bool TwoDigits(string text, int at, out int value) =>
        int.TryParse(text.AsSpan(at, 2), NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
