using System.Text.Json;

namespace Carelake.Storage.SearchSql;

/// <summary>Cuts one contained resource out of its container's stored JSON (byte-exact, as stored).</summary>
internal static class ContainedJson
{
    public static byte[] Extract(byte[] container, string localId)
    {
        using var document = JsonDocument.Parse(container);
        if (document.RootElement.TryGetProperty("contained", out var contained) && contained.ValueKind == JsonValueKind.Array)
        {
            foreach (var resource in contained.EnumerateArray())
            {
                if (resource.TryGetProperty("id", out var id) && id.ValueEquals(localId))
                {
                    return JsonSerializer.SerializeToUtf8Bytes(resource);
                }
            }
        }

        // The index and the payload are written in one transaction, so this means a corrupted row, not a race.
        throw new InvalidOperationException($"Contained resource #{localId} is indexed but missing from its container.");
    }
}
