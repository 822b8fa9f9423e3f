using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>Finds a stored conformance resource (ValueSet, CodeSystem, StructureDefinition …) by its canonical URL.</summary>
public static class CanonicalResources
{
    /// <summary>The current resource of <paramref name="type"/> whose url is the canonical (with <c>|version</c>: that version); null when none.</summary>
    public static async Task<Resource?> FindAsync(IResourceStore store, SearchParameterRegistry registry, string type, string canonical, CancellationToken cancellationToken)
    {
        if (!registry.TryGet(type, "url", out var url))
        {
            return null;
        }

        var parts = canonical.Split('|', 2);
        var criteria = new List<SearchCriterion> { new("url", url, SearchModifier.None, [new UriSearchValue(parts[0])]) };
        if (parts.Length == 2 && registry.TryGet(type, "version", out var version))
        {
            criteria.Add(new SearchCriterion("version", version, SearchModifier.None, [new TokenSearchValue(null, parts[1])]));
        }

        var page = await store.SearchAsync(new SearchQuery { ResourceType = type, Count = 1, Criteria = criteria }, cancellationToken);
        return page.Resources.Count > 0 && page.Resources[0].Json is { } json ? FhirSerialization.ParseStored(json) : null;
    }
}
