using System.Globalization;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Bundles;

/// <summary>A Bundle entry's request, checked and split into type, id, version and query.</summary>
internal sealed class ParsedEntry
{
    public required int Index { get; init; }

    public required Bundle.HTTPVerb Method { get; init; }

    public required string Type { get; init; }

    public string? Id { get; set; }

    public long? Version { get; init; }

    public string? Query { get; init; }

    public string? FullUrl { get; init; }

    public long? IfMatch { get; init; }

    /// <summary>request.ifNoneMatch of a read: an ETag (or *) that makes a current match answer 304.</summary>
    public string? IfNoneMatch { get; init; }

    /// <summary>request.ifModifiedSince of a read: not changed since then answers 304.</summary>
    public DateTimeOffset? IfModifiedSince { get; init; }

    /// <summary>request.ifNoneExist of a POST: create only if this search matches nothing.</summary>
    public string? IfNoneExist { get; init; }

    /// <summary>The one existing match of <see cref="IfNoneExist"/>: the entry creates nothing and answers 200 with it.</summary>
    public ResourceVersion? Existing { get; set; }

    /// <summary>Set on a conditional create (or a conditional update that creates): the store re-checks it at commit.</summary>
    public SearchQuery? Condition { get; set; }

    /// <summary>A PATCH entry's change: FHIRPath Patch (Parameters) or JSON Patch (Binary).</summary>
    public Func<ResourceVersion, Resource> Patch => Resource switch
    {
        Parameters parameters => current => Resources.FhirPathPatch.Apply(current, parameters),
        Binary { Data: { } document } => current => Resources.ResourceService.ApplyJsonPatch(current, document),
        _ => throw new InvalidOperationException("Checked when the entry was parsed."),
    };

    /// <summary>A conditional PUT or DELETE: the condition's query, resolved to <see cref="Id"/> before the transaction is prepared.</summary>
    public bool IsConditional => Query is not null && Method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE;

    public Resource? Resource { get; init; }

    /// <summary>The resource's id as the client sent it: transaction attempts set <c>Resource.Id</c> to the assigned one.</summary>
    public string? BodyId { get; init; }

    /// <summary>The resource's references and uris as the client sent them (found on first use; none without a resource).</summary>
    public ReferenceSlots Slots => _slots ??= Resource is null ? ReferenceSlots.None : ReferenceSlots.Of(Resource);

    private ReferenceSlots? _slots;

    public static ParsedEntry From(Bundle.EntryComponent entry, int index)
    {
        var where = $"Bundle.entry[{index}]";
        var request = entry.Request ?? throw FhirException.BadRequest($"{where}: request is required in a transaction or batch.", $"{where}.request");
        var method = request.Method ?? throw FhirException.BadRequest($"{where}: request.method is required.", $"{where}.request.method");
        var url = request.Url ?? throw FhirException.BadRequest($"{where}: request.url is required.", $"{where}.request.url");
        if (method == Bundle.HTTPVerb.HEAD)
        {
            throw FhirException.NotSupported($"{where}: HEAD entries are not supported.");
        }

        string? query = null;
        var questionMark = url.IndexOf('?', StringComparison.Ordinal);
        if (questionMark >= 0)
        {
            query = url[(questionMark + 1)..];
            url = url[..questionMark];
            if (method == Bundle.HTTPVerb.POST)
            {
                throw FhirException.BadRequest($"{where}: POST takes its condition in request.ifNoneExist, not in the url ('{request.Url}').");
            }
        }

        var segments = url.Trim('/').Split('/');
        var type = segments[0];
        if (!ResourceTypes.IsKnown(type))
        {
            throw new FhirException(404, OperationOutcome.IssueType.NotSupported, $"{where}: '{type}' is not a FHIR R4 resource type.");
        }

        string? id = segments.Length > 1 ? segments[1] : null;
        long? version = null;
        if (segments.Length == 4 && segments[2] == "_history" && long.TryParse(segments[3], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            version = v;
        }
        else if (segments.Length > 2)
        {
            throw FhirException.BadRequest($"{where}: request.url '{request.Url}' is not supported.");
        }

        if (id is not null && !ResourceIds.IsValid(id))
        {
            throw FhirException.BadRequest($"{where}: '{id}' is not a valid id.");
        }

        var resource = entry.Resource;
        switch (method)
        {
            case Bundle.HTTPVerb.POST when id is not null:
                throw FhirException.BadRequest($"{where}: POST goes to the type ('{type}'), not to an instance.");
            case Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT when resource is null:
                throw FhirException.BadRequest($"{where}: {method} needs a resource.", $"{where}.resource");
            case Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT when resource!.TypeName != type:
                throw FhirException.BadRequest($"{where}: the resource is a {resource.TypeName} but request.url names {type}.");
            case Bundle.HTTPVerb.PATCH when id is null:
                throw FhirException.BadRequest($"{where}: PATCH needs Type/id in request.url.");
            case Bundle.HTTPVerb.PATCH when resource is not Parameters and not Binary { ContentType: "application/json-patch+json", Data: not null }:
                throw FhirException.BadRequest($"{where}: a PATCH entry carries a FHIRPath Patch (Parameters) or a JSON Patch (Binary with contentType application/json-patch+json).", $"{where}.resource");
            case Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE when id is null && query is null:
                throw FhirException.BadRequest($"{where}: {method} needs Type/id or a condition (Type?identifier=…) in request.url.");
            case Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE when id is not null && query is not null:
                throw FhirException.BadRequest($"{where}: request.url '{request.Url}' has both an id and a condition.");
            case Bundle.HTTPVerb.PUT when resource!.Id is not null && resource.Id != id:
                throw FhirException.BadRequest($"{where}: the resource id '{resource.Id}' does not match request.url id '{id}'.");
        }

        return new ParsedEntry
        {
            Index = index,
            Method = method,
            Type = type,
            Id = id,
            Version = version,
            Query = query,
            FullUrl = entry.FullUrl,
            IfMatch = ETags.ParseVersion(request.IfMatch),
            IfNoneExist = string.IsNullOrWhiteSpace(request.IfNoneExist) ? null : request.IfNoneExist,
            IfNoneMatch = string.IsNullOrWhiteSpace(request.IfNoneMatch) ? null : request.IfNoneMatch,
            IfModifiedSince = request.IfModifiedSince,
            Resource = resource,
            BodyId = resource?.Id,
        };
    }
}
