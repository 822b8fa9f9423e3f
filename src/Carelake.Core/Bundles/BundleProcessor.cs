using Carelake.Core.Audit;
using System.Globalization;
using Carelake.Core.Fhir;
using Carelake.Core.Resources;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Core.Bundles;

/// <summary>
/// Processes transaction and batch Bundles (R4 3.1.0.11). A transaction is prepared entirely in memory — ids assigned,
/// <c>urn:uuid:</c> references rewritten, versions checked — and then committed as one storage unit: all or nothing.
/// </summary>
public sealed class BundleProcessor(ResourceService resources, SearchService search, ConditionalInteractions conditional, int maxEntries)
{
    private const int MaxAttempts = 10;

    public async Task<Bundle> ProcessAsync(Bundle bundle, string baseUrl, CancellationToken cancellationToken)
    {
        if (bundle.Entry.Count > maxEntries)
        {
            throw new FhirException(413, OperationOutcome.IssueType.TooCostly,
                $"The Bundle has {bundle.Entry.Count} entries; this server accepts at most {maxEntries} per request (Carelake:MaxBundleEntries).");
        }

        return bundle.Type switch
        {
            Bundle.BundleType.Transaction => await TransactionAsync(bundle, baseUrl, cancellationToken),
            Bundle.BundleType.Batch => await BatchAsync(bundle, baseUrl, cancellationToken),
            _ => throw FhirException.BadRequest($"POST to the base URL takes a transaction or batch Bundle, not '{bundle.Type?.ToString() ?? "(no type)"}'.", "Bundle.type"),
        };
    }

    private async Task<Bundle> TransactionAsync(Bundle bundle, string baseUrl, CancellationToken cancellationToken)
    {
        var entries = bundle.Entry.Select((entry, index) => ParsedEntry.From(entry, index)).ToList();

        for (var attempt = 0; ; attempt++)
        {
            var prepared = await PrepareAsync(entries, cancellationToken);
            var result = await resources.Store.CommitAsync(prepared.Writes, cancellationToken);
            if (result.Succeeded)
            {
                var response = new Bundle { Type = Bundle.BundleType.TransactionResponse, Id = Guid.NewGuid().ToString("N") };
                foreach (var entry in entries)
                {
                    response.Entry.Add(entry.Method == Bundle.HTTPVerb.GET
                        ? await GetAsync(entry, baseUrl, cancellationToken)
                        : prepared.Responses[entry.Index]);
                }

                return response;
            }

            var conflicting = prepared.WriteOwners[result.ConflictIndex];
            if (result.ConditionMatched && attempt + 1 < MaxAttempts)
            {
                // A concurrent write now matches a conditional create: prepare again, which finds and uses it.
                continue;
            }

            if (conflicting.IfMatch is not null || attempt + 1 >= MaxAttempts)
            {
                throw FhirException.PreconditionFailed($"Bundle.entry[{conflicting.Index}]: {conflicting.Type}/{conflicting.Id} was changed concurrently (now version {result.ActualVersion}); nothing was written.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1 + attempt), cancellationToken);
        }
    }

    private async Task<Bundle> BatchAsync(Bundle bundle, string baseUrl, CancellationToken cancellationToken)
    {
        var response = new Bundle { Type = Bundle.BundleType.BatchResponse, Id = Guid.NewGuid().ToString("N") };
        for (var index = 0; index < bundle.Entry.Count; index++)
        {
            try
            {
                var entry = ParsedEntry.From(bundle.Entry[index], index);
                response.Entry.Add(await ExecuteSingleAsync(entry, baseUrl, cancellationToken));
            }
            catch (FhirException e)
            {
                response.Entry.Add(new Bundle.EntryComponent
                {
                    Response = new Bundle.ResponseComponent { Status = StatusLine(e.Status), Outcome = e.Outcome },
                });
            }
        }

        return response;
    }

    /// <summary>
    /// Resolves conditions (ifNoneExist, conditional PUT/DELETE urls, conditional references), assigns ids, rewrites
    /// references and builds every write of the transaction, in R4 processing order. Runs again on every attempt:
    /// a retry after a concurrent write sees that write.
    /// </summary>
    private async Task<PreparedTransaction> PrepareAsync(List<ParsedEntry> entries, CancellationToken cancellationToken)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            await ResolveConditionAsync(entry, cancellationToken);
            if (entry.FullUrl is not null && entry.Id is not null && entry.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT)
            {
                map[entry.FullUrl] = $"{entry.Type}/{entry.Id}";
            }
        }

        CheckNoDuplicates(entries);
        await ResolveConditionalReferencesAsync(entries, map, cancellationToken);

        var writes = new List<ResourceWrite>();
        var owners = new List<ParsedEntry>();
        var responses = new Dictionary<int, Bundle.EntryComponent>();
        var deferred = new List<(int Slot, ParsedEntry Entry, Func<(ResourceWrite, Bundle.EntryComponent)> Prepare)>();
        foreach (var entry in entries.OrderBy(e => ProcessingOrder(e.Method)).ThenBy(e => e.Index))
        {
            switch (entry.Method)
            {
                case Bundle.HTTPVerb.DELETE when entry.Id is null:
                    // A conditional delete that matched nothing: a successful no-op.
                    responses[entry.Index] = new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = "204 No Content" } };
                    break;

                case Bundle.HTTPVerb.DELETE:
                {
                    var current = await resources.Store.ReadAsync(entry.Type, entry.Id!, cancellationToken);
                    CheckIfMatch(entry, current?.Version ?? 0);
                    if (current is null || current.Deleted)
                    {
                        responses[entry.Index] = new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = "204 No Content" } };
                        break;
                    }

                    var write = resources.PrepareDelete(entry.Type, entry.Id!, current.Version);
                    writes.Add(write);
                    owners.Add(entry);
                    responses[entry.Index] = Response("204 No Content", write, null);
                    break;
                }

                case Bundle.HTTPVerb.PATCH:
                {
                    var current = await resources.Store.ReadAsync(entry.Type, entry.Id!, cancellationToken);
                    if (current is null || current.Deleted)
                    {
                        throw FhirException.NotFound($"Bundle.entry[{entry.Index}]: {entry.Type}/{entry.Id} does not exist, so it cannot be patched; nothing was written.");
                    }

                    CheckIfMatch(entry, current.Version);
                    var patched = entry.Patch(current);
                    if (patched.TypeName != entry.Type || patched.Id != entry.Id)
                    {
                        throw new FhirException(422, OperationOutcome.IssueType.Processing, $"Bundle.entry[{entry.Index}]: a patch cannot change the resource type or id.");
                    }

                    ReferenceRewriter.Rewrite(patched, map);
                    var write = resources.PrepareWrite(patched, current.Version + 1, current.Version, "PATCH");
                    writes.Add(write);
                    owners.Add(entry);
                    responses[entry.Index] = Response("200 OK", write, $"{entry.Type}/{entry.Id}/_history/{write.Version}");
                    break;
                }

                case Bundle.HTTPVerb.POST when entry.Existing is { } existing:
                    responses[entry.Index] = Response("200 OK", existing, $"{existing.Type}/{existing.Id}/_history/{existing.Version}");
                    break;

                case Bundle.HTTPVerb.POST:
                case Bundle.HTTPVerb.PUT:
                {
                    long currentVersion = 0;
                    var created = true;
                    if (entry.Method == Bundle.HTTPVerb.PUT)
                    {
                        var current = await resources.Store.ReadAsync(entry.Type, entry.Id!, cancellationToken);
                        currentVersion = current?.Version ?? 0;
                        created = current is null || current.Deleted;
                        CheckIfMatch(entry, currentVersion);
                    }

                    // Serialising and indexing are the expensive part: done for all entries in parallel below.
                    var slot = writes.Count;
                    writes.Add(null!);
                    owners.Add(entry);
                    var method = entry.Method == Bundle.HTTPVerb.POST ? "POST" : "PUT";
                    var status = created ? "201 Created" : "200 OK";
                    var version = currentVersion;
                    var condition = entry.Condition;
                    deferred.Add((slot, entry, () =>
                    {
                        // The resource itself is rewritten: every attempt sets all of its references and its id again.
                        var resource = entry.Resource!;
                        resource.Id = entry.Id;
                        entry.Slots.Apply(map);
                        var write = resources.PrepareWrite(resource, version + 1, version, method) with { IfNoneExist = condition };
                        return (write, Response(status, write, $"{entry.Type}/{entry.Id}/_history/{write.Version}"));
                    }));
                    break;
                }
            }
        }

        PrepareInParallel(deferred, writes, responses, cancellationToken);
        return new PreparedTransaction(writes, owners, responses);
    }

    /// <summary>Runs the entries' serialise-and-index work on every core; the first failing entry (in bundle order) fails the transaction.</summary>
    private static void PrepareInParallel(
        List<(int Slot, ParsedEntry Entry, Func<(ResourceWrite, Bundle.EntryComponent)> Prepare)> work,
        List<ResourceWrite> writes,
        Dictionary<int, Bundle.EntryComponent> responses,
        CancellationToken cancellationToken)
    {
        var results = new (ResourceWrite Write, Bundle.EntryComponent Response)[work.Count];
        var failures = new Exception?[work.Count];
        Parallel.For(0, work.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try
            {
                results[i] = work[i].Prepare();
            }
            catch (Exception e)
            {
                // Kept per entry so the caller sees the same exception a sequential loop would have thrown first,
                // not an AggregateException that the error mapping would not recognise.
                failures[i] = e;
            }
        });

        var first = Enumerable.Range(0, work.Count).Where(i => failures[i] is not null).OrderBy(i => work[i].Entry.Index).Select(i => failures[i]).FirstOrDefault();
        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }

        for (var i = 0; i < work.Count; i++)
        {
            writes[work[i].Slot] = results[i].Write;
            responses[work[i].Entry.Index] = results[i].Response;
        }
    }

    /// <summary>
    /// ifNoneExist of a POST (one match: use it, none: create with the condition re-checked at commit, several: 412);
    /// the url condition of a PUT or DELETE (resolved to the id it names; a PUT that matches nothing creates).
    /// </summary>
    private async Task ResolveConditionAsync(ParsedEntry entry, CancellationToken cancellationToken)
    {
        var where = $"Bundle.entry[{entry.Index}]";
        if (entry.Method == Bundle.HTTPVerb.POST)
        {
            entry.Existing = null;
            entry.Condition = null;
            if (entry.IfNoneExist is { } ifNoneExist)
            {
                var condition = await search.ConditionAsync(entry.Type, ifNoneExist, $"{where}: ifNoneExist", cancellationToken);
                entry.Existing = await conditional.SingleMatchAsync(condition, entry.Type, ifNoneExist, cancellationToken);
                entry.Condition = entry.Existing is null ? condition : null;
            }

            entry.Id = entry.Existing?.Id ?? ResourceIds.NewId();
            return;
        }

        if (!entry.IsConditional)
        {
            return;
        }

        var query = await search.ConditionAsync(entry.Type, entry.Query!, $"{where}: conditional {entry.Method}", cancellationToken);
        var match = await conditional.SingleMatchAsync(query, entry.Type, entry.Query!, cancellationToken);
        entry.Condition = null;
        if (entry.Method == Bundle.HTTPVerb.DELETE)
        {
            entry.Id = match?.Id;
            return;
        }

        if (match is not null && entry.BodyId is { } bodyId && bodyId != match.Id)
        {
            throw FhirException.BadRequest($"{where}: the resource id '{bodyId}' is not the id of the resource '{entry.Type}?{entry.Query}' matches ({match.Id}).");
        }

        entry.Id = match?.Id ?? entry.BodyId ?? ResourceIds.NewId();
        entry.Condition = match is null ? query : null;
    }

    /// <summary>References written as searches (<c>Patient?identifier=sys|123</c>) become the Type/id of their one match.</summary>
    private async Task ResolveConditionalReferencesAsync(List<ParsedEntry> entries, Dictionary<string, string> map, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            foreach (var reference in entry.Slots.SentReferences.Where(r => r.Contains('?', StringComparison.Ordinal) && !map.ContainsKey(r)))
            {
                map[reference] = await conditional.ResolveReferenceAsync(reference, $"Bundle.entry[{entry.Index}]", cancellationToken);
            }
        }
    }

    private async Task<Bundle.EntryComponent> ExecuteSingleAsync(ParsedEntry entry, string baseUrl, CancellationToken cancellationToken)
    {
        switch (entry.Method)
        {
            case Bundle.HTTPVerb.GET:
                return await GetAsync(entry, baseUrl, cancellationToken);
            case Bundle.HTTPVerb.POST when entry.IfNoneExist is { } ifNoneExist:
            {
                var (version, created) = await conditional.CreateAsync((Resource)entry.Resource!.DeepCopy(), ifNoneExist, cancellationToken);
                return Response(created ? "201 Created" : "200 OK", version, $"{version.Type}/{version.Id}/_history/{version.Version}");
            }

            case Bundle.HTTPVerb.PUT when entry.IsConditional:
            {
                var (version, created) = await conditional.UpdateAsync(entry.Type, entry.Query!, (Resource)entry.Resource!.DeepCopy(), entry.IfMatch, cancellationToken);
                return Response(created ? "201 Created" : "200 OK", version, $"{version.Type}/{version.Id}/_history/{version.Version}");
            }

            case Bundle.HTTPVerb.DELETE when entry.IsConditional:
            {
                var deleted = await conditional.DeleteAsync(entry.Type, entry.Query!, cancellationToken);
                return deleted.Count == 1
                    ? Response("204 No Content", deleted[0], null)
                    : new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = "204 No Content" } };
            }

            case Bundle.HTTPVerb.PATCH:
            {
                var patched = await resources.PatchAsync(entry.Type, entry.Id!, entry.Patch, entry.IfMatch, cancellationToken);
                return Response("200 OK", patched, $"{patched.Type}/{patched.Id}/_history/{patched.Version}");
            }

            case Bundle.HTTPVerb.POST:
            {
                var created = await resources.CreateAsync((Resource)entry.Resource!.DeepCopy(), cancellationToken);
                return Response("201 Created", created, $"{created.Type}/{created.Id}/_history/{created.Version}");
            }

            case Bundle.HTTPVerb.PUT:
            {
                var (version, created) = await resources.UpdateAsync(entry.Type, entry.Id!, (Resource)entry.Resource!.DeepCopy(), entry.IfMatch, cancellationToken);
                return Response(created ? "201 Created" : "200 OK", version, $"{version.Type}/{version.Id}/_history/{version.Version}");
            }

            case Bundle.HTTPVerb.DELETE:
            {
                var deleted = await resources.DeleteAsync(entry.Type, entry.Id!, entry.IfMatch, cancellationToken);
                return deleted is null
                    ? new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = "204 No Content" } }
                    : Response("204 No Content", deleted, null);
            }

            default:
                throw FhirException.NotSupported($"Bundle.entry[{entry.Index}]: method {entry.Method} is not supported in bundles yet.");
        }
    }

    private async Task<Bundle.EntryComponent> GetAsync(ParsedEntry entry, string baseUrl, CancellationToken cancellationToken)
    {
        try
        {
            if (entry.Query is not null)
            {
                var parameters = QueryString.Parse(entry.Query);
                var result = await search.SearchAsync(baseUrl, entry.Type, parameters, strict: false, cancellationToken);
                // Read entries are audited like reads: their resources and patients join the request's record.
                AuditScope.Current?.NoteReturned(result.Entries.Concat(result.Included));
                return new Bundle.EntryComponent { Resource = result.ToPoco(baseUrl), Response = new Bundle.ResponseComponent { Status = "200 OK" } };
            }

            var version = entry.Version is { } v
                ? await resources.VReadAsync(entry.Type, entry.Id!, v, cancellationToken)
                : await resources.ReadAsync(entry.Type, entry.Id!, cancellationToken);
            if (ETags.NotModified([entry.IfNoneMatch], entry.IfModifiedSince, version.Version, version.LastUpdated))
            {
                return Response("304 Not Modified", version, null);
            }

            AuditScope.Current?.NoteReturned([version]);
            var component = Response("200 OK", version, null);
            component.FullUrl = $"{baseUrl}/{version.Type}/{version.Id}";
            component.Resource = FhirSerialization.ParseStored(version.Json);
            return component;
        }
        catch (FhirException e)
        {
            return new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = StatusLine(e.Status), Outcome = e.Outcome } };
        }
    }

    private static Bundle.EntryComponent Response(string status, ResourceWrite write, string? location) =>
        Response(status, ResourceService.ToVersion(write), location);

    private static Bundle.EntryComponent Response(string status, ResourceVersion version, string? location) => new()
    {
        Response = new Bundle.ResponseComponent
        {
            Status = status,
            Location = location,
            Etag = $"W/\"{version.Version}\"",
            LastModified = version.LastUpdated,
        },
    };

    private static void CheckIfMatch(ParsedEntry entry, long currentVersion)
    {
        if (entry.IfMatch is { } expected && expected != currentVersion)
        {
            throw FhirException.PreconditionFailed($"Bundle.entry[{entry.Index}]: ifMatch version {expected} does not match the current version {currentVersion} of {entry.Type}/{entry.Id}; nothing was written.");
        }
    }

    private static void CheckNoDuplicates(List<ParsedEntry> entries)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.Method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE or Bundle.HTTPVerb.PATCH && e.Id is not null))
        {
            if (!seen.Add($"{entry.Type}/{entry.Id}"))
            {
                throw FhirException.BadRequest($"Bundle.entry[{entry.Index}]: {entry.Type}/{entry.Id} appears more than once in the transaction (directly or through a condition).");
            }
        }
    }

    private static int ProcessingOrder(Bundle.HTTPVerb method) => method switch
    {
        Bundle.HTTPVerb.DELETE => 0,
        Bundle.HTTPVerb.POST => 1,
        Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH => 2,
        _ => 3,
    };

    internal static string StatusLine(int status) => status switch
    {
        200 => "200 OK",
        201 => "201 Created",
        204 => "204 No Content",
        304 => "304 Not Modified",
        400 => "400 Bad Request",
        404 => "404 Not Found",
        409 => "409 Conflict",
        410 => "410 Gone",
        412 => "412 Precondition Failed",
        413 => "413 Payload Too Large",
        422 => "422 Unprocessable Entity",
        _ => status.ToString(CultureInfo.InvariantCulture),
    };

    private sealed record PreparedTransaction(List<ResourceWrite> Writes, List<ParsedEntry> WriteOwners, Dictionary<int, Bundle.EntryComponent> Responses);
}
