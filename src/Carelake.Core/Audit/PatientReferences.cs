using System.Text;
using System.Text.Json;

namespace Carelake.Core.Audit;

/// <summary>
/// The patients a stored resource is about, for the audit trail: a Patient itself, and every "Patient/…" reference in
/// it (subject, patient, beneficiary …). Runs for every resource a read or search returns, so it does not tokenize
/// the JSON: it finds the <c>"reference"</c> keys with a vectorized search and reads only their values.
/// </summary>
public static class PatientReferences
{
    public static void Collect(string type, string id, byte[]? json, ISet<string> patients)
    {
        if (type == "Patient")
        {
            patients.Add(id);
        }

        if (json is null)
        {
            return;
        }

        // A \u escape could spell a key ("r\u0065ference") or a value prefix that only the tokenizer decodes.
        if (json.AsSpan().IndexOf("\\u"u8) >= 0)
        {
            CollectTokenized(json, patients);
            return;
        }

        CollectScanned(json, patients);
    }

    /// <summary>
    /// Exact for valid JSON without \u escapes. A quote preceded by an even run of backslashes is a string delimiter;
    /// one right before <c>reference"</c> cannot close a string (a bare word would follow it), so it opens the string
    /// <c>reference</c>, which is a key when a colon follows it.
    /// </summary>
    internal static void CollectScanned(ReadOnlySpan<byte> json, ISet<string> patients)
    {
        var key = "\"reference\""u8;
        var offset = 0;
        while (true)
        {
            var found = json[offset..].IndexOf(key);
            if (found < 0)
            {
                return;
            }

            var start = offset + found;
            offset = start + key.Length;
            if (IsEscaped(json, start))
            {
                continue;
            }

            var at = SkipWhitespace(json, offset);
            if (at >= json.Length || json[at] != (byte)':')
            {
                continue;
            }

            at = SkipWhitespace(json, at + 1);
            if (at >= json.Length || json[at] != (byte)'"')
            {
                continue;
            }

            var end = ClosingQuote(json, at + 1);
            if (end < 0)
            {
                return;
            }

            var raw = json[(at + 1)..end];
            offset = end + 1;
            if (raw.IndexOf((byte)'\\') >= 0)
            {
                // An escape (a "\/" or "\"" in the value): decode the string the way the tokenizer does.
                var reader = new Utf8JsonReader(json[at..(end + 1)]);
                reader.Read();
                AddIfPatient(reader.GetString(), patients);
            }
            else if (raw.StartsWith("Patient/"u8))
            {
                var rest = raw[8..];
                var slash = rest.IndexOf((byte)'/');
                var patient = slash < 0 ? rest : rest[..slash];
                if (patient.Length > 0)
                {
                    patients.Add(Encoding.UTF8.GetString(patient));
                }
            }
        }
    }

    private static bool IsEscaped(ReadOnlySpan<byte> json, int quote)
    {
        var backslashes = 0;
        for (var i = quote - 1; i >= 0 && json[i] == (byte)'\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int at)
    {
        while (at < json.Length && json[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            at++;
        }

        return at;
    }

    private static int ClosingQuote(ReadOnlySpan<byte> json, int from)
    {
        var at = from;
        while (true)
        {
            var next = json[at..].IndexOf((byte)'"');
            if (next < 0)
            {
                return -1;
            }

            at += next;
            if (!IsEscaped(json, at))
            {
                return at;
            }

            at++;
        }
    }

    private static void AddIfPatient(string? value, ISet<string> patients)
    {
        if (value is not null && value.StartsWith("Patient/", StringComparison.Ordinal))
        {
            var end = value.IndexOf('/', 8);
            var patient = end < 0 ? value[8..] : value[8..end];
            if (patient.Length > 0)
            {
                patients.Add(patient);
            }
        }
    }

    /// <summary>The reference reading: every string value of a "reference" property, through the JSON tokenizer.</summary>
    internal static void CollectTokenized(ReadOnlySpan<byte> json, ISet<string> patients)
    {
        var reader = new Utf8JsonReader(json);
        var inReference = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                inReference = reader.ValueTextEquals("reference"u8);
            }
            else if (inReference && reader.TokenType == JsonTokenType.String)
            {
                inReference = false;
                if (reader.ValueSpan.StartsWith("Patient/"u8) || reader.ValueIsEscaped)
                {
                    AddIfPatient(reader.GetString(), patients);
                }
            }
            else
            {
                inReference = false;
            }
        }
    }
}
