using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>
/// Turns <c>:in</c> / <c>:not-in</c> criteria into plain token criteria, using ValueSet resources stored on this server:
/// the codes of an expansion (<c>expansion.contains</c>, nested) or of a compose that lists concepts, and whole code
/// systems included without filters. Filters and value-set imports need a terminology service and are refused.
/// </summary>
public sealed class ValueSetResolver(IResourceStore store, SearchParameterRegistry registry)
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
            foreach (var value in criterion.Values.Cast<ValueSetSearchValue>())
            {
                tokens.AddRange(await ExpandAsync(value.ValueSet, cancellationToken));
            }

            criteria.Add(criterion with
            {
                Modifier = criterion.Modifier == SearchModifier.In ? SearchModifier.None : SearchModifier.Not,
                Values = tokens,
            });
        }

        return query with { Criteria = criteria };
    }

    private static bool NeedsExpansion(SearchCriterion criterion) => criterion.Modifier is SearchModifier.In or SearchModifier.NotIn;

    private async Task<List<SearchValue>> ExpandAsync(string reference, CancellationToken cancellationToken)
    {
        var valueSet = await FindAsync(reference, cancellationToken)
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

    private async Task<ValueSet?> FindAsync(string reference, CancellationToken cancellationToken)
    {
        if (reference.StartsWith("ValueSet/", StringComparison.Ordinal))
        {
            var stored = await store.ReadAsync("ValueSet", reference["ValueSet/".Length..], cancellationToken);
            return stored is { Deleted: false, Json: { } json } ? (ValueSet)FhirSerialization.ParseStored(json) : null;
        }

        if (!registry.TryGet("ValueSet", "url", out var url))
        {
            return null;
        }

        var version = reference.Split('|', 2);
        var page = await store.SearchAsync(new SearchQuery
        {
            ResourceType = "ValueSet",
            Count = 1,
            Criteria = [new SearchCriterion("url", url, SearchModifier.None, [new UriSearchValue(version[0])])],
        }, cancellationToken);
        return page.Resources.Count > 0 && page.Resources[0].Json is { } found ? (ValueSet)FhirSerialization.ParseStored(found) : null;
    }
}
