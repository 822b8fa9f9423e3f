using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Resources;

/// <summary>
/// Conditional create, update and delete (R4 3.1.0.8, 3.1.0.4.2, 3.1.0.7.1) and conditional references. A create
/// made because nothing matched carries its condition to the store, which re-checks it inside the committing
/// transaction: concurrent conditional creates of the same identifier store exactly one resource, and the others
/// answer with it.
/// </summary>
/// <param name="maxDeleteMatches">How many matches a conditional delete may remove (1: single, the default).</param>
public sealed class ConditionalInteractions(ResourceService resources, SearchService search, int maxDeleteMatches = 1)
{
    private const int MaxAttempts = 10;

    /// <summary>POST with If-None-Exist: the one existing match (Created = false), or the new resource.</summary>
    public async Task<(ResourceVersion Version, bool Created)> CreateAsync(Resource resource, string ifNoneExist, CancellationToken cancellationToken)
    {
        var condition = await search.ConditionAsync(resource.TypeName, ifNoneExist, "If-None-Exist", cancellationToken);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await SingleMatchAsync(condition, resource.TypeName, ifNoneExist, cancellationToken) is { } existing)
            {
                return (existing, false);
            }

            resource.Id = ResourceIds.NewId();
            var write = resources.PrepareWrite(resource, 1, 0, "POST") with { IfNoneExist = condition };
            var result = await resources.Store.CommitAsync([write], cancellationToken);
            if (result.Succeeded)
            {
                return (ResourceService.ToVersion(write), true);
            }

            // Someone else's create matched first (or the id collided): look again.
        }

        throw FhirException.Conflict($"Conditional create of {resource.TypeName} ({ifNoneExist}) kept conflicting with concurrent writes; retry.");
    }

    /// <summary>PUT Type?query: no match creates (with the body's id, if any), one match is updated, several are a 412.</summary>
    public async Task<(ResourceVersion Version, bool Created)> UpdateAsync(string type, string query, Resource resource, long? ifMatch, CancellationToken cancellationToken)
    {
        var condition = await search.ConditionAsync(type, query, "Conditional update", cancellationToken);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await SingleMatchAsync(condition, type, query, cancellationToken) is { } match)
            {
                if (resource.Id is not null && resource.Id != match.Id)
                {
                    throw FhirException.BadRequest($"The body id '{resource.Id}' is not the id of the resource the condition matches ({type}/{match.Id}).", $"{type}.id");
                }

                return await resources.UpdateAsync(type, match.Id, resource, ifMatch, cancellationToken);
            }

            if (ifMatch is not null)
            {
                throw FhirException.PreconditionFailed($"If-Match names a version, but nothing matches '{type}?{query}'.");
            }

            var id = resource.Id ?? ResourceIds.NewId();
            var current = await resources.Store.ReadAsync(type, id, cancellationToken);
            if (current is { Deleted: false })
            {
                throw FhirException.BadRequest($"The body id '{id}' names an existing {type} that does not match '{query}'.", $"{type}.id");
            }

            resource.Id = id;
            var currentVersion = current?.Version ?? 0;
            var write = resources.PrepareWrite(resource, currentVersion + 1, currentVersion, "PUT") with { IfNoneExist = condition };
            var result = await resources.Store.CommitAsync([write], cancellationToken);
            if (result.Succeeded)
            {
                return (ResourceService.ToVersion(write), true);
            }
        }

        throw FhirException.Conflict($"Conditional update of {type} ({query}) kept conflicting with concurrent writes; retry.");
    }

    /// <summary>
    /// DELETE Type?query: none is a successful no-op; one match is deleted; several are a 412 unless multiple deletes
    /// are enabled (<c>Carelake:ConditionalDeleteMax</c>), then up to that many are deleted in one transaction.
    /// Returns the deletions (empty: nothing matched).
    /// </summary>
    public async Task<IReadOnlyList<ResourceVersion>> DeleteAsync(string type, string query, CancellationToken cancellationToken)
    {
        var condition = await search.ConditionAsync(type, query, "Conditional delete", cancellationToken);
        if (maxDeleteMatches <= 1)
        {
            var match = await SingleMatchAsync(condition, type, query, cancellationToken);
            return match is null ? [] : await resources.DeleteAsync(type, match.Id, null, cancellationToken) is { } deleted ? [deleted] : [];
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var matches = await search.MatchAsync(condition, maxDeleteMatches + 1, cancellationToken);
            if (matches.Count > maxDeleteMatches)
            {
                throw FhirException.PreconditionFailed($"'{type}?{query}' matches more than {maxDeleteMatches} resources (Carelake:ConditionalDeleteMax); nothing was deleted.");
            }

            var writes = matches.Select(m => resources.PrepareDelete(type, m.Id, m.Version)).ToList();
            if (writes.Count == 0 || (await resources.Store.CommitAsync(writes, cancellationToken)).Succeeded)
            {
                return writes.Select(ResourceService.ToVersion).ToList();
            }
        }

        throw FhirException.Conflict($"Conditional delete of {type} ({query}) kept conflicting with concurrent writes; retry.");
    }

    /// <summary>A conditional reference (<c>Patient?identifier=sys|123</c>) as the Type/id of its one match.</summary>
    public async Task<string> ResolveReferenceAsync(string reference, string where, CancellationToken cancellationToken)
    {
        var question = reference.IndexOf('?', StringComparison.Ordinal);
        var type = reference[..question];
        if (!ResourceTypes.IsKnown(type))
        {
            throw FhirException.BadRequest($"{where}: conditional reference '{reference}' does not start with a resource type.");
        }

        var condition = await search.ConditionAsync(type, reference[(question + 1)..], $"{where}: conditional reference", cancellationToken);
        var matches = await search.MatchAsync(condition, 2, cancellationToken);
        return matches.Count switch
        {
            1 => $"{type}/{matches[0].Id}",
            0 => throw FhirException.PreconditionFailed($"{where}: conditional reference '{reference}' matches no resource; nothing was written."),
            _ => throw FhirException.PreconditionFailed($"{where}: conditional reference '{reference}' matches more than one resource; nothing was written."),
        };
    }

    /// <summary>The one match of a condition, null for none; several are a 412 (R4: the client's criteria were not selective enough).</summary>
    public async Task<ResourceVersion?> SingleMatchAsync(SearchQuery condition, string type, string query, CancellationToken cancellationToken)
    {
        var matches = await search.MatchAsync(condition, 2, cancellationToken);
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw FhirException.PreconditionFailed($"'{type}?{query}' matches more than one resource; make the criteria more selective."),
        };
    }
}
