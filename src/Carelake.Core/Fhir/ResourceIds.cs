using System.Buffers;

namespace Carelake.Core.Fhir;

/// <summary>FHIR id rules (R4 §2.24.0.1): 1-64 characters of A-Z, a-z, 0-9, '-' and '.'.</summary>
public static class ResourceIds
{
    private static readonly SearchValues<char> IdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && !id.AsSpan().ContainsAnyExcept(IdChars);

    /// <summary>
    /// Server-assigned ids: UUIDv7 as 32 lower-case hex digits, a 48-bit millisecond timestamp followed by 74 random
    /// bits. Unguessable, and no counter that would leak volumes; but ids assigned later sort after earlier ones, so a
    /// new id lands at the end of the (type, id) key and of every reference index that points at it instead of on a
    /// random page of each: on SQLite that cut the bytes written per ingested resource by a quarter (docs/benchmarks.md,
    /// issue F3). The id shows when it was assigned, as its first version's lastUpdated does.
    /// </summary>
    public static string NewId() => Guid.CreateVersion7().ToString("N");
}
