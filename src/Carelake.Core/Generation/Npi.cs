using System.Globalization;

namespace Carelake.Core.Generation;

/// <summary>
/// Builds syntactically valid US National Provider Identifiers: nine digits plus a Luhn check digit computed over the
/// "80840" health-industry prefix, as CMS specifies, so validators that check NPIs accept the synthetic ones.
/// </summary>
internal static class Npi
{
    public static string Create(int sequence)
    {
        // NPIs start with 1 or 2; the sequence keeps them unique within a run.
        var body = (100_000_000 + sequence).ToString(CultureInfo.InvariantCulture);
        return body + CheckDigit("80840" + body).ToString(CultureInfo.InvariantCulture);
    }

    private static int CheckDigit(string digits)
    {
        var sum = 0;
        var doubleIt = true;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var digit = digits[i] - '0';
            if (doubleIt)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }

            sum += digit;
            doubleIt = !doubleIt;
        }

        return (10 - (sum % 10)) % 10;
    }
}
