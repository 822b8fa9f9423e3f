using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Carelake.Tests.SearchOracle;

/// <summary>
/// The oracle's rules for the terminology modifiers (:in, :not-in, :below, :above), identifier modifiers (:of-type,
/// :identifier), _text/_content, _list and contained resources — read from the loaded resources, never from the server.
/// </summary>
public sealed partial class SearchOracle
{
    private readonly Dictionary<Resource, DomainResource> _containers = new(ReferenceEqualityComparer.Instance);

    private bool IsContained(Resource resource)
    {
        lock (_containers)
        {
            return _containers.ContainsKey(resource);
        }
    }

    private DomainResource ContainerOf(Resource contained)
    {
        lock (_containers)
        {
            return _containers[contained];
        }
    }

    private List<Resource> ContainedOfType(string type)
    {
        var found = new List<Resource>();
        foreach (var container in data.All.OfType<DomainResource>())
        {
            foreach (var contained in container.Contained.Where(c => c.TypeName == type))
            {
                Remember(container, contained);
                found.Add(contained);
            }
        }

        return found;
    }

    private Resource? ContainedById(Resource container, string id)
    {
        if (container is not DomainResource domain || domain.Contained.FirstOrDefault(c => c.Id == id) is not { } contained)
        {
            return null;
        }

        Remember(domain, contained);
        return contained;
    }

    private void Remember(DomainResource container, Resource contained)
    {
        lock (_containers)
        {
            _containers[contained] = container;
        }
    }

    /// <summary>The (system, code) pairs of a stored ValueSet: its expansion, else the concepts (or whole systems) its compose includes.</summary>
    private bool InValueSet(TokenValue token, string valueSetReference)
    {
        var valueSet = data.OfType("ValueSet").Cast<ValueSet>()
            .SingleOrDefault(v => v.Url == valueSetReference || "ValueSet/" + v.Id == valueSetReference)
            ?? throw new InvalidOperationException($"No ValueSet {valueSetReference} in the data.");
        if (valueSet.Expansion is { } expansion)
        {
            return Flatten(expansion.Contains).Any(c => c.Abstract != true && c.System == token.System && c.Code == token.Code);
        }

        return valueSet.Compose!.Include.Any(include => include.System == token.System
            && (include.Concept.Count == 0 || include.Concept.Any(c => c.Code == token.Code)));

        static IEnumerable<ValueSet.ContainsComponent> Flatten(IEnumerable<ValueSet.ContainsComponent> items) =>
            items.SelectMany(i => new[] { i }.Concat(Flatten(i.Contains)));
    }

    /// <summary>:below — the value's code is the searched code or one of its descendants in the stored CodeSystem; :above — or one of its ancestors.</summary>
    private bool Subsumption(TokenValue token, string search, bool below)
    {
        var bar = search.IndexOf('|', StringComparison.Ordinal);
        var (system, code) = (search[..bar], search[(bar + 1)..]);
        if (token.System != system || token.Code is null)
        {
            return false;
        }

        var codeSystem = data.OfType("CodeSystem").Cast<CodeSystem>().Single(c => c.Url == system);
        return below ? IsDescendantOrSelf(codeSystem, token.Code, code) : IsDescendantOrSelf(codeSystem, code, token.Code);
    }

    private static bool IsDescendantOrSelf(CodeSystem codeSystem, string code, string ancestor)
    {
        // Parent links: nesting, and the parent/subsumedBy/child properties.
        var parents = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Link(string child, string parent)
        {
            if (!parents.TryGetValue(child, out var set))
            {
                parents[child] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.Add(parent);
        }

        void Walk(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts, string? parent)
        {
            foreach (var concept in concepts)
            {
                if (concept.Code is not { } self)
                {
                    continue;
                }

                if (parent is not null)
                {
                    Link(self, parent);
                }

                foreach (var property in concept.Property)
                {
                    if (property.Value is Code { Value: { } other })
                    {
                        if (property.Code is "parent" or "subsumedBy")
                        {
                            Link(self, other);
                        }
                        else if (property.Code == "child")
                        {
                            Link(other, self);
                        }
                    }
                }

                Walk(concept.Concept, self);
            }
        }

        Walk(codeSystem.Concept, null);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>([code]);
        while (pending.TryDequeue(out var current))
        {
            if (current == ancestor)
            {
                return true;
            }

            if (seen.Add(current))
            {
                foreach (var parent in parents.GetValueOrDefault(current) ?? [])
                {
                    pending.Enqueue(parent);
                }
            }
        }

        return false;
    }

    /// <summary>Reference.identifier of the parameter's references, as tokens.</summary>
    private IEnumerable<TokenValue> ReferenceIdentifiers(Resource resource, OracleParam param) =>
        Nodes(resource, param).Select(n => n.Poco).OfType<ResourceReference>()
            .Where(r => r.Identifier?.Value is not null)
            .Select(r => new TokenValue(r.Identifier!.System, r.Identifier.Value, []));

    /// <summary>identifier:of-type=typeSystem|typeCode|value.</summary>
    private bool IdentifiersOfType(Resource resource, OracleParam param, string search)
    {
        var parts = search.Split('|');
        return Nodes(resource, param).Select(n => n.Poco).OfType<Identifier>().Any(i =>
            i.Value == parts[2] && i.Type?.Coding.Any(c => c.System == parts[0] && c.Code == parts[1]) == true);
    }

    /// <summary>A member of a stored List (entry.item).</summary>
    private bool InList(Resource resource, string listId) =>
        data.Get("List", listId) is List list && list.Entry.Any(e => e.Item?.Reference == OracleData.Key(resource));

    /// <summary>
    /// _text (narrative) and _content (every human-readable string, the narrative included): each word of the search
    /// must be a word of the text, ignoring case and accents. Which strings count as content is the server's choice
    /// (R4 leaves it open); the oracle uses the same rule as docs/fhir-api.md: all string values except ids, references,
    /// URLs, systems, codes' machinery, code values, dates and times, and metadata.
    /// </summary>
    private bool FullTextMatches(Resource resource, bool narrativeOnly, string search)
    {
        var narrative = System.Net.WebUtility.HtmlDecode(Markup().Replace((resource as DomainResource)?.Text?.Div ?? string.Empty, " "));
        var text = narrativeOnly ? narrative : ContentStrings(data.Json(OracleData.Key(resource))) + " " + narrative;
        var words = Words(text).ToHashSet(StringComparer.Ordinal);
        var wanted = Words(search).ToList();
        return wanted.Count > 0 && wanted.All(words.Contains);
    }

    private static readonly HashSet<string> NotContent = new(StringComparer.Ordinal)
    {
        "resourceType", "id", "reference", "system", "url", "fullUrl", "versionId", "lastUpdated", "profile", "source",
        "div", "status", "use", "type", "mode", "language", "contentType", "data", "hash", "valueBase64Binary", "canonical",
        "code",
    };

    private static string ContentStrings(System.Text.Json.Nodes.JsonNode? node, string? property = null) => node switch
    {
        System.Text.Json.Nodes.JsonObject o => string.Join(" ", o.Select(p => ContentStrings(p.Value, p.Key))),
        System.Text.Json.Nodes.JsonArray a => string.Join(" ", a.Select(i => ContentStrings(i, property))),
        System.Text.Json.Nodes.JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String && property is not null && !NotContent.Contains(property) && !Carelake.Core.Search.TextExtractor.DateOrTime().IsMatch(v.GetValue<string>()) => v.GetValue<string>(),
        _ => string.Empty,
    };

    private static IEnumerable<string> Words(string text) =>
        WordPattern().Matches(OracleText.Fold(text)).Select(m => m.Value);

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Markup();

    [GeneratedRegex(@"[\p{L}\p{N}]+", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();
}
