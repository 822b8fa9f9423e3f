using System.Buffers;

namespace Carelake.Core.Fhir;

/// <summary>FHIR id rules (R4 §2.24.0.1): 1-64 characters of A-Z, a-z, 0-9, '-' and '.'.</summary>
public static class ResourceIds
{
    private static readonly SearchValues<char> IdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && !id.AsSpan().ContainsAnyExcept(IdChars);

    /// <summary>Server-assigned ids: random, URL-safe and unguessable (ids are not secrets, but sequential ids leak volumes).</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");
}
