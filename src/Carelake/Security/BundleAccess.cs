using Carelake.Core.Fhir;
using Carelake.Core.Security;
using Carelake.Hosting;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Security;

/// <summary>
/// Scopes checked per entry of a batch or transaction, before anything runs: a transaction with one forbidden entry
/// is refused whole (403); in a batch the forbidden entries answer 403 and the others run.
/// </summary>
internal static class BundleAccess
{
    public static async Task<Bundle> ProcessAsync(AccessContext access, Bundle bundle, CarelakeServices services, string baseUrl, CancellationToken cancellationToken)
    {
        if (access.IsUnrestricted)
        {
            return await services.Bundles.ProcessAsync(bundle, baseUrl, cancellationToken);
        }

        var denied = new Dictionary<int, FhirException>();
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            try
            {
                await CheckEntryAsync(access, bundle.Entry[i], services, baseUrl, cancellationToken);
            }
            catch (FhirException e) when (e.Status is 403 or 400)
            {
                denied[i] = e;
            }
        }

        if (denied.Count == 0)
        {
            return await services.Bundles.ProcessAsync(bundle, baseUrl, cancellationToken);
        }

        if (bundle.Type != Bundle.BundleType.Batch)
        {
            var (index, first) = denied.First();
            throw new FhirException(first.Status, OperationOutcome.IssueType.Forbidden, $"Bundle.entry[{index}]: {first.Message} The transaction was not applied.");
        }

        var allowed = new Bundle { Type = Bundle.BundleType.Batch, Entry = bundle.Entry.Where((_, i) => !denied.ContainsKey(i)).ToList() };
        var processed = allowed.Entry.Count == 0 ? new Bundle { Type = Bundle.BundleType.BatchResponse } : await services.Bundles.ProcessAsync(allowed, baseUrl, cancellationToken);
        var response = new Bundle { Type = Bundle.BundleType.BatchResponse, Id = processed.Id, Meta = processed.Meta };
        var next = 0;
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            response.Entry.Add(denied.TryGetValue(i, out var error)
                ? new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = $"{error.Status} {(error.Status == 403 ? "Forbidden" : "Bad Request")}", Outcome = error.Outcome } }
                : processed.Entry[next++]);
        }

        return response;
    }

    private static async Task CheckEntryAsync(AccessContext access, Bundle.EntryComponent entry, CarelakeServices services, string baseUrl, CancellationToken cancellationToken)
    {
        var request = entry.Request ?? throw FhirException.BadRequest("request is required in a transaction or batch.");
        var url = request.Url ?? string.Empty;
        if (url.StartsWith(baseUrl, StringComparison.Ordinal))
        {
            url = url[baseUrl.Length..];
        }

        url = url.TrimStart('/');
        var question = url.IndexOf('?', StringComparison.Ordinal);
        var query = question < 0 ? null : url[(question + 1)..];
        var segments = (question < 0 ? url : url[..question]).Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || !ResourceTypes.IsKnown(segments[0]))
        {
            if (!access.CanReadEverything(SmartInteractions.Search) || request.Method != Bundle.HTTPVerb.GET)
            {
                throw AccessGuard.Forbidden($"The entry '{request.Url}' is not a type or instance interaction the access token can be checked against.");
            }

            return;
        }

        var type = segments[0];
        var guard = services.Guard;
        switch (request.Method)
        {
            case Bundle.HTTPVerb.GET or Bundle.HTTPVerb.HEAD when segments.Length == 1:
                if (!access.CanReadEverything(SmartInteractions.Search))
                {
                    AccessGuard.RequireFull(access, type, SmartInteractions.Search, "A search inside a batch or transaction");
                    if (query is not null && (query.Contains("_include", StringComparison.Ordinal) || query.Contains("_revinclude", StringComparison.Ordinal) || query.Contains("_has", StringComparison.Ordinal)))
                    {
                        throw AccessGuard.Forbidden("_include, _revinclude and _has inside a batch need access to every resource type; search directly instead.");
                    }
                }

                return;
            case Bundle.HTTPVerb.GET or Bundle.HTTPVerb.HEAD when segments.Length is 2 or 3 or 4 && (segments.Length == 2 || segments[2] == "_history"):
                var current = await guard.CurrentAsync(type, segments[1], cancellationToken);
                if (current is not null)
                {
                    await guard.EnsureCanReadAsync(access, baseUrl, current, cancellationToken);
                }
                else
                {
                    AccessGuard.Require(access, type, SmartInteractions.Read);
                }

                return;
            case Bundle.HTTPVerb.POST when segments.Length == 1:
                if (!string.IsNullOrEmpty(request.IfNoneExist))
                {
                    AccessGuard.RequireFull(access, type, SmartInteractions.Search, "A conditional create");
                }

                await guard.EnsureCanWriteAsync(access, baseUrl, type, SmartInteractions.Create, null, entry.Resource, cancellationToken);
                return;
            case Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE or Bundle.HTTPVerb.PATCH when segments.Length == 1:
                var interaction = request.Method == Bundle.HTTPVerb.DELETE ? SmartInteractions.Delete : SmartInteractions.Update;
                AccessGuard.RequireFull(access, type, interaction, "A conditional update, delete or patch");
                AccessGuard.RequireFull(access, type, SmartInteractions.Search, "A conditional update, delete or patch");
                return;
            case Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE or Bundle.HTTPVerb.PATCH when segments.Length == 2:
                var write = request.Method == Bundle.HTTPVerb.DELETE ? SmartInteractions.Delete : SmartInteractions.Update;
                if (request.Method == Bundle.HTTPVerb.PATCH && !AccessGuard.Require(access, type, write).IsFull)
                {
                    throw AccessGuard.Forbidden("A PATCH inside a batch or transaction needs unrestricted update access; patch directly instead.");
                }

                var existing = await guard.CurrentAsync(type, segments[1], cancellationToken);
                await guard.EnsureCanWriteAsync(access, baseUrl, type, write, existing, request.Method == Bundle.HTTPVerb.PUT ? entry.Resource : null, cancellationToken);
                return;
            default:
                throw AccessGuard.Forbidden($"The entry '{request.Method} {request.Url}' cannot be checked against the access token.");
        }
    }
}
