using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>
/// The active search parameters per resource type, built from the R4 specification's SearchParameter definitions
/// that ship with the Firely SDK. Each parameter carries a storage id (assigned and persisted by the storage provider
/// so index rows stay meaningful across restarts and nodes).
/// </summary>
public sealed partial class SearchParameterRegistry
{
    /// <summary>Parameters answered from resource columns rather than index tables.</summary>
    public static readonly FrozenSet<string> ColumnParameters = FrozenSet.Create(StringComparer.Ordinal, "_id", "_lastUpdated");

    private volatile Snapshot _snapshot;

    public SearchParameterRegistry(IEnumerable<SearchParameterInfo> parameters) => _snapshot = new Snapshot(parameters, 0);

    /// <summary>Changes whenever <see cref="Replace"/> installs a new set (custom parameters after a $reindex).</summary>
    public int Version => _snapshot.Version;

    public IReadOnlyList<SearchParameterInfo> All => _snapshot.All;

    /// <summary>Installs a new parameter set atomically; readers see either the old or the new set, never a mix.</summary>
    public void Replace(IEnumerable<SearchParameterInfo> parameters) => _snapshot = new Snapshot(parameters, _snapshot.Version + 1);

    public bool TryGet(string resourceType, string code, out SearchParameterInfo parameter)
    {
        if (_snapshot.ByType.TryGetValue(resourceType, out var byCode) && byCode.TryGetValue(code, out var found))
        {
            parameter = found;
            return true;
        }

        parameter = null!;
        return false;
    }

    public IEnumerable<SearchParameterInfo> ForType(string resourceType) =>
        _snapshot.ByType.TryGetValue(resourceType, out var byCode) ? byCode.Values : [];

    /// <summary>
    /// Definitions from SearchParameter resources: one entry per base type, the expression cut to the parts that
    /// apply to that type. Later definitions with the same (type, code) replace earlier ones (custom over standard).
    /// </summary>
    public static IReadOnlyList<SearchParameterInfo> CustomDefinitions(IEnumerable<SearchParameter> resources)
    {
        var result = new List<SearchParameterInfo>();
        foreach (var resource in resources)
        {
            if (resource.Code is null || resource.Expression is null || resource.Type is null || resource.Url is null
                || resource.Status == PublicationStatus.Retired || resource.Type is SearchParamType.Special or SearchParamType.Composite)
            {
                continue;
            }

            foreach (var type in resource.Base.Where(b => b is not null).Select(b => b!.Value.ToString()))
            {
                var expression = ExpressionFor(resource.Expression, type == "Resource" ? "Resource" : type, type);
                if (expression is null || !(ResourceTypes.IsKnown(type) || type == "Resource"))
                {
                    continue;
                }

                (expression, var filter) = SplitTargetFilter(expression);

                result.Add(new SearchParameterInfo
                {
                    ResourceType = type,
                    Code = resource.Code,
                    Type = resource.Type.Value,
                    Url = resource.Url,
                    Expression = expression,
                    TargetTypes = resource.Target.Where(t => t is not null).Select(t => t!.Value.ToString()).ToArray(),
                    TargetTypeFilter = filter,
                });
            }
        }

        return result;
    }

    /// <summary>Standard definitions with custom ones laid over them: a custom (type, code) replaces the standard one.</summary>
    public static IReadOnlyList<SearchParameterInfo> Merge(IReadOnlyList<SearchParameterInfo> standard, IReadOnlyList<SearchParameterInfo> custom)
    {
        var overridden = custom.Select(c => (c.ResourceType, c.Code)).ToHashSet();
        return standard.Where(s => !overridden.Contains((s.ResourceType, s.Code))).Concat(custom).ToList();
    }

    /// <summary>
    /// Marks the parameters that are exactly the union of other parameters of the same type and kind (R4's Observation
    /// <c>combo-*</c> parameters: <c>combo-code</c> = <c>code | component-code</c>, <c>combo-code-value-quantity</c> =
    /// <c>code-value-quantity | component-code-value-quantity</c>, …): the top-level parts of its expression are
    /// covered, each exactly once, by the parts of two or more others, with the same composite components. Such a
    /// parameter stores no rows (23 % of all index rows of generated patient data were these copies) and is searched
    /// through the others' rows. Reference parameters are left alone (includes and chains read their rows by id), and
    /// so are the common ones (_tag, …). A custom definition that changes a part breaks the match and is stored itself.
    /// </summary>
    internal static IEnumerable<SearchParameterInfo> WithUnions(IEnumerable<SearchParameterInfo> parameters)
    {
        foreach (var type in parameters.GroupBy(p => p.ResourceType, StringComparer.Ordinal))
        {
            var byCode = type.GroupBy(p => p.Code, StringComparer.Ordinal).Select(g => g.Last() with { StoredAs = [] }).ToList();
            foreach (var parameter in byCode)
            {
                yield return UnionOf(parameter, byCode) is { } ids ? parameter with { StoredAs = ids } : parameter;
            }
        }
    }

    private static int[]? UnionOf(SearchParameterInfo parameter, List<SearchParameterInfo> siblings)
    {
        if (parameter.IsCommon || parameter.Id == 0 || parameter.Type is SearchParamType.Reference or SearchParamType.Special)
        {
            return null;
        }

        var parts = PartsOf(parameter);
        if (parts.Count < 2)
        {
            return null;
        }

        var candidates = siblings
            .Where(s => !ReferenceEquals(s, parameter) && s.Id != 0 && !s.IsCommon && s.Type == parameter.Type
                && s.Components.SequenceEqual(parameter.Components) && s.TargetTypeFilter == parameter.TargetTypeFilter)
            .Select(s => (Parameter: s, Parts: PartsOf(s)))
            .Where(c => c.Parts.Count > 0 && c.Parts.Count < parts.Count && c.Parts.IsSubsetOf(parts))
            .OrderByDescending(c => c.Parts.Count).ThenBy(c => c.Parameter.Code, StringComparer.Ordinal);
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var ids = new List<int>();
        foreach (var (candidate, candidateParts) in candidates)
        {
            if (!candidateParts.Overlaps(covered))
            {
                covered.UnionWith(candidateParts);
                ids.Add(candidate.Id);
            }
        }

        return ids.Count >= 2 && covered.SetEquals(parts) ? [.. ids] : null;
    }

    private static HashSet<string> PartsOf(SearchParameterInfo parameter) =>
        SplitTopLevel(parameter.Expression).Select(p => string.Join(' ', p.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToHashSet(StringComparer.Ordinal);

    private sealed class Snapshot
    {
        public Snapshot(IEnumerable<SearchParameterInfo> parameters, int version)
        {
            ByType = WithUnions(parameters)
                .GroupBy(p => p.ResourceType, StringComparer.Ordinal)
                .ToFrozenDictionary(
                    g => g.Key,
                    g => g.GroupBy(p => p.Code, StringComparer.Ordinal).ToFrozenDictionary(c => c.Key, c => c.Last(), StringComparer.Ordinal),
                    StringComparer.Ordinal);
            All = ByType.Values.SelectMany(d => d.Values).ToArray();
            Version = version;
        }

        public FrozenDictionary<string, FrozenDictionary<string, SearchParameterInfo>> ByType { get; }

        public IReadOnlyList<SearchParameterInfo> All { get; }

        public int Version { get; }
    }

    /// <summary>
    /// The standard R4 parameters that can be indexed, one entry per (resource type, code), without storage ids.
    /// Special parameters (_text, _content, near…) are not indexed; _id and _lastUpdated are answered from columns.
    /// </summary>
    public static IReadOnlyList<SearchParameterInfo> StandardDefinitions()
    {
        var result = new List<SearchParameterInfo>();
        var byUrl = ModelInfo.SearchParameters.Where(d => d.Url is not null).GroupBy(d => d.Url!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var definition in ModelInfo.SearchParameters.Concat(CommonDefinitions))
        {
            CompositeComponent[] components = [];
            if (definition.Type == SearchParamType.Composite)
            {
                var resolved = definition.Component?
                    .Select(c => byUrl.TryGetValue(c.Definition, out var d) && d.Type is not (SearchParamType.Composite or SearchParamType.Special) ? new CompositeComponent(d.Type, c.Expression) : null)
                    .ToArray() ?? [];
                if (resolved.Length < 2 || resolved.Any(c => c is null))
                {
                    continue;
                }

                components = resolved.OfType<CompositeComponent>().ToArray();
            }

            if (definition.Type is SearchParamType.Special || definition.Expression is null
                || definition.Code is null || definition.Resource is null || ColumnParameters.Contains(definition.Code))
            {
                continue;
            }

            var targets = definition.Target?.Select(t => t.ToString()).ToArray() ?? [];
            var common = definition.Resource is "Resource";
            var types = definition.Resource is "Resource" or "DomainResource"
                ? ResourceTypes.All.Where(t => definition.Resource == "Resource" || IsDomainResource(t))
                : [definition.Resource];
            if (common)
            {
                // The pseudo-type "Resource" carries the common parameters for system-level search.
                types = types.Append("Resource");
            }

            foreach (var type in types)
            {
                var expression = ExpressionFor(definition.Expression, definition.Resource, type);
                if (expression is null)
                {
                    continue;
                }

                (expression, var filter) = SplitTargetFilter(expression);

                result.Add(new SearchParameterInfo
                {
                    ResourceType = type,
                    IsCommon = common,
                    Code = definition.Code,
                    Type = definition.Type,
                    Url = definition.Url ?? $"http://hl7.org/fhir/SearchParameter/{type}-{definition.Code}",
                    Expression = expression,
                    TargetTypes = targets,
                    TargetTypeFilter = filter,
                    Components = components,
                });
            }
        }

        return result;
    }

    /// <summary>
    /// The parameters R4 defines on Resource itself (search.html#all). The SDK's list leaves them out, so they are
    /// declared here with the specification's codes, types, expressions and canonical URLs.
    /// </summary>
    private static readonly SearchParamDefinition[] CommonDefinitions =
    [
        Common("_tag", SearchParamType.Token, "Resource.meta.tag", "Resource-tag"),
        Common("_profile", SearchParamType.Uri, "Resource.meta.profile", "Resource-profile"),
        Common("_security", SearchParamType.Token, "Resource.meta.security", "Resource-security"),
        Common("_source", SearchParamType.Uri, "Resource.meta.source", "Resource-source"),
    ];

    private static SearchParamDefinition Common(string code, SearchParamType type, string expression, string id) => new()
    {
        Resource = "Resource",
        Name = code,
        Code = code,
        Type = type,
        Expression = expression,
        Url = $"http://hl7.org/fhir/SearchParameter/{id}",
    };

    /// <summary>Keeps the '|'-separated parts of a shared expression that start at <paramref name="type"/>.</summary>
    internal static string? ExpressionFor(string expression, string definedOn, string type)
    {
        var root = definedOn is "Resource" or "DomainResource" ? definedOn : type;
        var parts = SplitTopLevel(expression)
            .Select(p => p.Trim())
            .Where(p => StartsWithType(p, root))
            .Select(p => root == type ? p : ReplaceRoot(p, root, type))
            .ToArray();
        return parts.Length == 0 ? null : string.Join(" | ", parts);
    }

    private static bool StartsWithType(string part, string type)
    {
        var span = part.AsSpan().TrimStart('(').TrimStart();
        return span.StartsWith(type, StringComparison.Ordinal) && (span.Length == type.Length || span[type.Length] is '.' or ' ' or ')');
    }

    private static string ReplaceRoot(string part, string root, string type)
    {
        var index = part.IndexOf(root, StringComparison.Ordinal);
        return string.Concat(part.AsSpan(0, index), type, part.AsSpan(index + root.Length));
    }

    private static List<string> SplitTopLevel(string expression)
    {
        var parts = new List<string>();
        var depth = 0;
        var inString = false;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'' && (i == 0 || expression[i - 1] != '\\'))
            {
                inString = !inString;
            }
            else if (!inString && c == '(')
            {
                depth++;
            }
            else if (!inString && c == ')')
            {
                depth--;
            }
            else if (!inString && depth == 0 && c == '|')
            {
                parts.Add(expression[start..i]);
                start = i + 1;
            }
        }

        parts.Add(expression[start..]);
        return parts;
    }

    private static bool IsDomainResource(string type) =>
        ModelInfo.GetTypeForFhirType(type) is { } clr && typeof(DomainResource).IsAssignableFrom(clr);

    /// <summary>Removes <c>.where(resolve() is X)</c>, returning X as a filter on the reference's own type.</summary>
    private static (string Expression, string? TargetType) SplitTargetFilter(string expression)
    {
        var match = ResolveIsType().Match(expression);
        return match.Success ? (ResolveIsType().Replace(expression, string.Empty), match.Groups[1].Value) : (expression, null);
    }

    [GeneratedRegex(@"\.where\(resolve\(\) is (\w+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex ResolveIsType();
}
