using System.Security.Cryptography;
using System.Text;

namespace Carelake.Core.Audit;

/// <summary>
/// The query an audit record keeps (BALP asks for it) without the PHI it may carry: the values of parameters that
/// search by name, address, contact details, birth date or free text are replaced by a short SHA-256 of the
/// lower-cased value. An investigator who knows the value can still find the search; the trail does not disclose it.
/// Identifiers, references, codes and other parameters are kept as sent.
/// </summary>
public static class QueryRedaction
{
    private static readonly string[] Sensitive =
        ["name", "family", "given", "phonetic", "address", "telecom", "phone", "email", "birthdate", "death-date", "_content", "_text", "_filter", "text"];

    public static string Redact(string queryString)
    {
        if (queryString.Length <= 1)
        {
            return queryString;
        }

        var parts = queryString.TrimStart('?').Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var equals = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var name = Uri.UnescapeDataString(parts[i][..equals]);
            if (IsSensitive(name))
            {
                var value = Uri.UnescapeDataString(parts[i][(equals + 1)..].Replace('+', ' '));
                parts[i] = $"{parts[i][..equals]}=sha256:{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value.ToLowerInvariant())))[..16].ToLowerInvariant()}";
            }
        }

        return "?" + string.Join('&', parts);
    }

    private static bool IsSensitive(string name)
    {
        // Chains and modifiers: subject:Patient.family:exact → family.
        var last = name[(name.LastIndexOf('.') + 1)..];
        var colon = last.IndexOf(':', StringComparison.Ordinal);
        var code = colon < 0 ? last : last[..colon];
        return Sensitive.Any(s => code == s || code.StartsWith(s + "-", StringComparison.Ordinal) || code.StartsWith("address", StringComparison.Ordinal));
    }
}
