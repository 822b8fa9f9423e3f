using System.Text.Json;
using Carelake.Core.Fhir;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// Where the next page starts: after <see cref="Sid"/> in storage order, or after the sort keys <see cref="Keys"/> then
/// <see cref="Sid"/>. Serialised as opaque base64url JSON in next links; it holds no server state.
/// </summary>
internal readonly record struct SearchCursor(long Sid, IReadOnlyList<object>? Keys, bool Backward = false)
{
    /// <summary>False for the first page (no cursor given). Sids of contained resources are negative, so 0 is a real position.</summary>
    public bool Present { get; private init; }

    public static SearchCursor Parse(string? text, int sortKeys)
    {
        if (text is null)
        {
            return default;
        }

        try
        {
            var json = Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
            using var document = JsonDocument.Parse(json);
            var array = document.RootElement;
            var length = array.ValueKind == JsonValueKind.Array ? array.GetArrayLength() : -1;
            if (length != sortKeys + 1 && length != sortKeys + 2)
            {
                throw Invalid();
            }

            var backward = length == sortKeys + 2 && array[sortKeys + 1].ValueKind == JsonValueKind.String && array[sortKeys + 1].GetString() == "b";

            var keys = new List<object>(sortKeys);
            for (var i = 0; i < sortKeys; i++)
            {
                var element = array[i];
                keys.Add(element.ValueKind switch
                {
                    JsonValueKind.String => element.GetString()!,
                    JsonValueKind.Number when element.TryGetInt64(out var l) => l,
                    JsonValueKind.Number => element.GetDouble(),
                    _ => throw Invalid(),
                });
            }

            return new SearchCursor(array[sortKeys].GetInt64(), sortKeys == 0 ? null : keys, backward) { Present = true };
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            throw Invalid();
        }
    }

    public static string Format(long sid, IReadOnlyList<object> keys, bool backward = false)
    {
        var values = new List<object>(keys) { sid };
        if (backward)
        {
            values.Add("b");
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(values);
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static FhirException Invalid() => FhirException.BadRequest("The paging cursor is not valid for this search; follow the links the server returns.");
}
