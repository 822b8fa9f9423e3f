using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>
/// Turns terminology modifiers into plain token criteria before the query runs, using resources stored on this server.
/// <c>:in</c> / <c>:not-in</c>: the codes of a ValueSet's expansion (<c>expansion.contains</c>, nested) or of a compose
/// that lists concepts, and whole code systems included without filters (filters and imports need a terminology
/// service and are refused). <c>:below</c> / <c>:above</c>: the code and its descendants / ancestors in the stored
/// CodeSystem's hierarchy (nested concepts, and the <c>parent</c>, <c>child</c> and <c>subsumedBy</c> properties).
/// </summary>
public sealed class TerminologyResolver(IResourceStore store, SearchParameterRegistry registry)
{
    private const int MaxCodes = 10_000;

    public async Task<SearchQuery> ResolveAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        if (!query.Criteria.Any(NeedsExpansion))
        {
            return query;
        }

        var criteria = new List<SearchCriterion>(query.Criteria.Count);
        foreach (var criterion in query.Criteria)
        {
            if (!NeedsExpansion(criterion))
            {
                criteria.Add(criterion);
                continue;
            }

            var tokens = new List<SearchValue>();
            foreach (var value in criterion.Values)
            {
                tokens.AddRange(value switch
                {
                    ValueSetSearchValue valueSet => await ExpandAsync(valueSet.ValueSet, cancellationToken),
                    TokenSearchValue token => await SubsumptionAsync(token, criterion.Modifier == SearchModifier.Below, criterion.Code, cancellationToken),
                    _ => throw new InvalidOperationException($"Unexpected value {value} for :{criterion.Modifier}."),
                });
            }

            criteria.Add(criterion with
            {
                Modifier = criterion.Modifier == SearchModifier.NotIn ? SearchModifier.Not : SearchModifier.None,
                Values = tokens,
            });
        }

        return query with { Criteria = criteria };
    }

    private static bool NeedsExpansion(SearchCriterion criterion) =>
        criterion.Modifier is SearchModifier.In or SearchModifier.NotIn
        || (criterion.Modifier is SearchModifier.Above or SearchModifier.Below && criterion.Parameter?.Type == SearchParamType.Token);

    /// <summary>The code with its descendants (<paramref name="below"/>) or its ancestors, from the stored CodeSystem.</summary>
    private async Task<List<SearchValue>> SubsumptionAsync(TokenSearchValue token, bool below, string parameter, CancellationToken cancellationToken)
    {
        var modifier = below ? "below" : "above";
        if (string.IsNullOrEmpty(token.System) || token.Code is null)
        {
            throw FhirException.BadRequest($"'{parameter}:{modifier}' needs system|code (e.g. http://snomed.info/sct|73211009): the hierarchy belongs to a code system.");
        }

        var codeSystem = await FindAsync<CodeSystem>("CodeSystem", token.System, cancellationToken)
            ?? throw FhirException.BadRequest($"CodeSystem '{token.System}' is not stored on this server; ':{modifier}' needs its hierarchy (upload the CodeSystem with its concepts first).");
        var hierarchy = CodeHierarchy.From(codeSystem);
        var codes = below ? hierarchy.Descendants(token.Code) : hierarchy.Ancestors(token.Code);
        return codes.Count <= MaxCodes
            ? codes.Select(c => (SearchValue)new TokenSearchValue(token.System, c)).ToList()
            : throw FhirException.NotSupported($"'{parameter}:{modifier}={token.System}|{token.Code}' spans more than {MaxCodes} codes.");
    }

    private async Task<List<SearchValue>> ExpandAsync(string reference, CancellationToken cancellationToken)
    {
        var valueSet = await FindAsync<ValueSet>("ValueSet", reference, cancellationToken)
            ?? throw FhirException.BadRequest($"ValueSet '{reference}' is not stored on this server; upload it (with an expansion or a list of concepts) first.");
        var codes = new List<SearchValue>();
        if (valueSet.Expansion is { } expansion)
        {
            AddContains(expansion.Contains, codes);
            return codes;
        }

        foreach (var include in valueSet.Compose?.Include ?? [])
        {
            if (include.Filter.Count > 0 || include.ValueSet.Any())
            {
                throw FhirException.NotSupported($"ValueSet '{reference}' uses filters or imports; this server has no terminology service to expand it.");
            }

            if (include.Concept.Count == 0)
            {
                // A whole code system: any code of it.
                codes.Add(new TokenSearchValue(include.System, null));
            }

            codes.AddRange(include.Concept.Select(c => new TokenSearchValue(include.System, c.Code)));
        }

        if (valueSet.Compose?.Exclude.Count > 0)
        {
            throw FhirException.NotSupported($"ValueSet '{reference}' excludes codes; this server has no terminology service to expand it.");
        }

        return codes.Count <= MaxCodes
            ? codes
            : throw FhirException.NotSupported($"ValueSet '{reference}' has more than {MaxCodes} codes.");
    }

    private static void AddContains(IEnumerable<ValueSet.ContainsComponent> contains, List<SearchValue> codes)
    {
        foreach (var item in contains)
        {
            if (item.Code is not null && item.Abstract != true)
            {
                codes.Add(new TokenSearchValue(item.System, item.Code));
            }

            AddContains(item.Contains, codes);
        }
    }

    /// <summary>A terminology resource by <c>Type/id</c>, or by canonical URL (optionally <c>|version</c>).</summary>
    private async Task<T?> FindAsync<T>(string type, string reference, CancellationToken cancellationToken)
        where T : Resource
    {
        if (reference.StartsWith(type + "/", StringComparison.Ordinal))
        {
            var stored = await store.ReadAsync(type, reference[(type.Length + 1)..], cancellationToken);
            return stored is { Deleted: false, Json: { } json } ? (T)FhirSerialization.ParseStored(json) : null;
        }

        return await CanonicalResources.FindAsync(store, registry, type, reference, cancellationToken) as T;
    }
}
