using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Carelake.Tests.SearchOracle;

/// <summary>Every stored resource in memory, by type (in the order the server listed them) and by "Type/id".</summary>
public sealed partial class OracleData
{
    private readonly Dictionary<string, Resource> _byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PocoNode> _nodes = new(StringComparer.Ordinal);

    private readonly IReadOnlyDictionary<string, string> _json;

    /// <param name="json">Each resource's JSON exactly as the server returned it, by "Type/id".</param>
    public OracleData(IReadOnlyList<Resource> resources, IReadOnlyDictionary<string, string> json, string baseUrl)
    {
        _json = json;
        BaseUrl = baseUrl;
        All = resources;
        ByType = resources.GroupBy(r => r.TypeName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Resource>)g.ToList(), StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            _byKey[Key(resource)] = resource;
        }
    }

    public string BaseUrl { get; }

    public IReadOnlyList<Resource> All { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<Resource>> ByType { get; }

    public static string Key(Resource resource) => resource.TypeName + "/" + resource.Id;

    public IReadOnlyList<Resource> OfType(string type) => ByType.TryGetValue(type, out var list) ? list : [];

    public Resource? Get(string type, string id) => _byKey.GetValueOrDefault(type + "/" + id);

    /// <summary>A fresh copy of the resource's JSON as the server returned it in the full read-back.</summary>
    public System.Text.Json.Nodes.JsonObject Json(string key) => System.Text.Json.Nodes.JsonNode.Parse(_json[key])!.AsObject();

    /// <summary>The target of a literal reference (relative, versioned, or absolute on this server's base); null otherwise.</summary>
    public Resource? Resolve(string? reference) =>
        OracleReference.Parse(reference, BaseUrl) is { Type: { } type, Id: { } id, IsLocal: true } ? Get(type, id) : null;

    /// <summary>The FHIRPath node of a resource, built once (the engine's resolve() hands these out).</summary>
    public PocoNode NodeOf(Resource resource) => _nodes.GetOrAdd(Key(resource), _ => resource.ToPocoNode(ModelInfo.ModelInspector));

    /// <summary>
    /// Fills the placeholders of a query template from the loaded data (ids are assigned by the server, so queries name
    /// resources by something stable): {base}, {pat:Family} (the one Patient whose family name starts so),
    /// {id:Type:n} (the n-th id of Type in ordinal order), {lu:Type:f} (meta.lastUpdated, to the millisecond, of the
    /// resource at fraction f of Type in lastUpdated order), {today} (the UTC day of the load), {mr:Family} (that Patient's MR identifier value).
    /// </summary>
    public string Expand(string template) => Placeholder().Replace(template, m =>
    {
        var parts = m.Groups[1].Value.Split(':');
        switch (parts[0])
        {
            case "base":
                return BaseUrl;
            case "pat":
                var patients = OfType("Patient").Where(p => ((Patient)p).Name.Any(n => n.Family?.StartsWith(parts[1], StringComparison.Ordinal) == true)).ToList();
                return patients.Count == 1 ? patients[0].Id! : throw new InvalidOperationException($"{m.Value}: {patients.Count} patients match.");
            case "id":
                var ids = OfType(parts[1]).Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
                return ids[int.Parse(parts[2], CultureInfo.InvariantCulture) % ids.Count]!;
            case "lu":
                var sorted = OfType(parts[1]).Select(r => r.Meta!.LastUpdated!.Value).Order().ToList();
                var at = sorted[(int)Math.Min(sorted.Count - 1, sorted.Count * double.Parse(parts[2], CultureInfo.InvariantCulture))];
                return at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            case "mr":
                // The medical record number (identifier of type MR) of the one Patient whose family name starts so.
                var holder = OfType("Patient").Cast<Patient>().Single(p => p.Name.Any(n => n.Family?.StartsWith(parts[1], StringComparison.Ordinal) == true));
                return holder.Identifier.First(i => i.Type?.Coding.Any(c => c.Code == "MR") == true).Value!;
            case "today":
                return All.Max(r => r.Meta!.LastUpdated!.Value).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            default:
                throw new InvalidOperationException($"Unknown placeholder {m.Value}.");
        }
    });

    [GeneratedRegex(@"\{([a-z]+(?::[^}]*)?)\}")]
    private static partial Regex Placeholder();
}

/// <summary>A literal reference split into type and id; absolute URLs count as local only on this server's base.</summary>
public readonly record struct OracleReference(string? Type, string? Id, bool IsLocal)
{
    public static OracleReference Parse(string? reference, string baseUrl)
    {
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal) || reference.Contains('?', StringComparison.Ordinal))
        {
            return default;
        }

        var local = true;
        var path = reference;
        if (reference.Contains("://", StringComparison.Ordinal))
        {
            if (reference.StartsWith(baseUrl + "/", StringComparison.Ordinal))
            {
                path = reference[(baseUrl.Length + 1)..];
            }
            else
            {
                local = false;
            }
        }

        var segments = path.Split('/');
        for (var i = segments.Length - 2; i >= 0; i--)
        {
            if (ModelInfo.IsKnownResource(segments[i]) && (i + 2 == segments.Length || segments[i + 2] == "_history"))
            {
                return new OracleReference(segments[i], segments[i + 1], local && (i == 0));
            }
        }

        return default;
    }
}
