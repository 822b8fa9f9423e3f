using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Core.Validation;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Core.Resources;

/// <summary>
/// Create, read, update and delete with FHIR versioning. Version numbers are decided here and checked by the store
/// (optimistic concurrency); a write that lost a race is prepared again from the new current version, unless the
/// client pinned a version with If-Match, in which case the conflict is the client's answer (412).
/// </summary>
public sealed class ResourceService(IResourceStore store, SearchIndexer indexer, TimeProvider time, ResourceValidator? validator = null)
{
    private const int MaxAttempts = 20;

    public IResourceStore Store => store;

    public SearchIndexer Indexer => indexer;

    public ResourceValidator? Validator => validator;

    public async Task<ResourceVersion> ReadAsync(string type, string id, CancellationToken cancellationToken)
    {
        var current = await store.ReadAsync(type, id, cancellationToken);
        if (current is null)
        {
            throw FhirException.NotFound($"{type}/{id} is not known.");
        }

        if (current.Deleted)
        {
            throw FhirException.Gone($"{type}/{id} was deleted (version {current.Version}).");
        }

        return current;
    }

    public async Task<ResourceVersion> VReadAsync(string type, string id, long version, CancellationToken cancellationToken)
    {
        var found = await store.ReadVersionAsync(type, id, version, cancellationToken);
        if (found is null)
        {
            var current = await store.ReadAsync(type, id, cancellationToken);
            throw current is null
                ? FhirException.NotFound($"{type}/{id} is not known.")
                : FhirException.NotFound($"{type}/{id} has no version {version}.");
        }

        if (found.Deleted)
        {
            throw FhirException.Gone($"Version {version} of {type}/{id} is a deletion.");
        }

        return found;
    }

    public async Task<ResourceVersion> CreateAsync(Resource resource, CancellationToken cancellationToken)
    {
        // The server owns ids on create (R4 3.1.0.4): a client id in the body is replaced.
        resource.Id = ResourceIds.NewId();
        var write = PrepareWrite(resource, 1, 0, "POST");
        var result = await store.CommitAsync([write], cancellationToken);
        if (!result.Succeeded)
        {
            throw FhirException.Conflict($"Id collision creating {resource.TypeName}; retry the request.");
        }

        return ToVersion(write);
    }

    /// <returns>The stored version, and whether it created the resource (update-as-create).</returns>
    public async Task<(ResourceVersion Version, bool Created)> UpdateAsync(string type, string id, Resource resource, long? ifMatch, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.ReadAsync(type, id, cancellationToken);
            var currentVersion = current?.Version ?? 0;
            if (ifMatch is { } expected && expected != currentVersion)
            {
                throw FhirException.PreconditionFailed($"If-Match version {expected} does not match the current version {currentVersion} of {type}/{id}.");
            }

            resource.Id = id;
            var write = PrepareWrite(resource, currentVersion + 1, currentVersion, "PUT");
            var result = await store.CommitAsync([write], cancellationToken);
            if (result.Succeeded)
            {
                return (ToVersion(write), current is null || current.Deleted);
            }

            if (ifMatch is not null)
            {
                throw FhirException.PreconditionFailed($"{type}/{id} was changed concurrently (now version {result.ActualVersion}).");
            }

            await BackOffAsync(attempt, cancellationToken);
        }

        throw new FhirException(409, OperationOutcome.IssueType.Conflict, $"{type}/{id} is being updated by too many clients at once; retry.");
    }

    /// <summary>
    /// PATCH: <paramref name="apply"/> turns the current version into the new resource (JSON Patch or FHIRPath Patch).
    /// The result must be a valid resource of the same type and id (else 422). Without If-Match a concurrent write
    /// makes the patch apply again to the newer version; with it, a stale version is a 412.
    /// </summary>
    public async Task<ResourceVersion> PatchAsync(string type, string id, Func<ResourceVersion, Resource?> apply, long? ifMatch, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await ReadAsync(type, id, cancellationToken);
            if (ifMatch is { } expected && expected != current.Version)
            {
                throw FhirException.PreconditionFailed($"If-Match version {expected} does not match the current version {current.Version} of {type}/{id}; the patch was not applied.");
            }

            if (apply(current) is not { } patched)
            {
                // Nothing to change: no new version.
                return current;
            }

            if (patched.TypeName != type || patched.Id != id)
            {
                throw new FhirException(422, OperationOutcome.IssueType.Processing, $"A patch cannot change the resource type or id (the result is {patched.TypeName}/{patched.Id}, not {type}/{id}).");
            }

            var write = PrepareWrite(patched, current.Version + 1, current.Version, "PATCH");
            var result = await store.CommitAsync([write], cancellationToken);
            if (result.Succeeded)
            {
                return ToVersion(write);
            }

            if (ifMatch is not null)
            {
                throw FhirException.PreconditionFailed($"{type}/{id} was changed concurrently (now version {result.ActualVersion}).");
            }

            await BackOffAsync(attempt, cancellationToken);
        }

        throw new FhirException(409, OperationOutcome.IssueType.Conflict, $"{type}/{id} is being updated by too many clients at once; retry.");
    }

    /// <summary>
    /// $meta-add / $meta-delete: tags and security labels (identity: system + code) and profiles (identity: the URL)
    /// added to or removed from the current version, as sets. A change makes a new version (history shows who
    /// changed a security label and when); adding what is there or removing what is not changes nothing.
    /// </summary>
    public Task<ResourceVersion> ChangeMetaAsync(string type, string id, Meta change, bool add, CancellationToken cancellationToken) =>
        PatchAsync(type, id, current =>
        {
            var resource = FhirSerialization.ParseStored(current.Json);
            var meta = resource.Meta ??= new Meta();
            var changed = false;
            foreach (var (target, items) in new[] { (meta.Tag, change.Tag), (meta.Security, change.Security) })
            {
                foreach (var coding in items)
                {
                    var existing = target.FindAll(c => c.System == coding.System && c.Code == coding.Code);
                    if (add && existing.Count == 0)
                    {
                        target.Add((Coding)coding.DeepCopy());
                        changed = true;
                    }
                    else if (!add && existing.Count > 0)
                    {
                        existing.ForEach(c => target.Remove(c));
                        changed = true;
                    }
                }
            }

            var profiles = meta.Profile.ToList();
            foreach (var profile in change.Profile)
            {
                if (add != profiles.Contains(profile, StringComparer.Ordinal))
                {
                    if (add)
                    {
                        profiles.Add(profile);
                    }
                    else
                    {
                        profiles.RemoveAll(p => p == profile);
                    }

                    changed = true;
                }
            }

            meta.Profile = profiles;
            return changed ? resource : null;
        }, null, cancellationToken);

    /// <summary>
    /// Erasure of a resource with its whole history (right to erasure), recorded as an AuditEvent that names what was
    /// erased (type and id only: no content) and why. Unknown resources are a 404.
    /// </summary>
    public async Task<(long Versions, ResourceVersion Record)> EraseAsync(string type, string id, string? reason, CancellationToken cancellationToken)
    {
        var versions = await store.EraseAsync(type, id, cancellationToken);
        if (versions == 0)
        {
            throw FhirException.NotFound($"{type}/{id} is not known; nothing was erased.");
        }

        var audit = new AuditEvent
        {
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            Subtype = [new Coding("http://carelake.dev/fhir/CodeSystem/operation", "erase", "Erasure of a resource and its history")],
            Action = AuditEvent.AuditEventAction.D,
            Recorded = time.GetUtcNow(),
            Outcome = AuditEvent.AuditEventOutcome.N0,
            OutcomeDesc = $"Erased {versions} version(s).",
            Agent = [new AuditEvent.AgentComponent { Requestor = true, Who = new ResourceReference { Display = "administrator" }, Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/extra-security-role-type", "datacollector") }],
            Source = new AuditEvent.SourceComponent { Observer = new ResourceReference { Display = "Carelake" } },
            Entity = [new AuditEvent.EntityComponent { What = new ResourceReference($"{type}/{id}"), Description = string.IsNullOrWhiteSpace(reason) ? null : reason }],
        };
        return (versions, await CreateAsync(audit, cancellationToken));
    }

    /// <summary>Applies an RFC 6902 JSON Patch to a stored version; the result is parsed as strictly as any update.</summary>
    public static Resource ApplyJsonPatch(ResourceVersion current, byte[] patch)
    {
        var document = System.Text.Json.Nodes.JsonNode.Parse(current.Json)!.AsObject();
        var patched = JsonPatch.Apply(document, patch);
        return ParsePatched(System.Text.Encoding.UTF8.GetBytes(patched.ToJsonString()));
    }

    /// <summary>A patched resource that does not parse is the patch's fault: 422 with the parser's findings.</summary>
    public static Resource ParsePatched(byte[] json)
    {
        try
        {
            return FhirSerialization.ParseJson(json);
        }
        catch (FhirException e) when (e.Status == 400)
        {
            throw new FhirException(422, OperationOutcome.IssueType.Processing, "The patched resource is not valid: " + string.Join(" ", e.Outcome.Issue.Select(i => i.Diagnostics)));
        }
    }

    /// <returns>The deletion version, or null when there was nothing to delete (still a success per R4).</returns>
    public async Task<ResourceVersion?> DeleteAsync(string type, string id, long? ifMatch, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.ReadAsync(type, id, cancellationToken);
            if (ifMatch is { } expected && expected != (current?.Version ?? 0))
            {
                throw FhirException.PreconditionFailed($"If-Match version {expected} does not match the current version of {type}/{id}.");
            }

            if (current is null || current.Deleted)
            {
                return null;
            }

            var write = PrepareDelete(type, id, current.Version);
            var result = await store.CommitAsync([write], cancellationToken);
            if (result.Succeeded)
            {
                return ToVersion(write);
            }

            if (ifMatch is not null)
            {
                throw FhirException.PreconditionFailed($"{type}/{id} was changed concurrently.");
            }

            await BackOffAsync(attempt, cancellationToken);
        }

        throw new FhirException(409, OperationOutcome.IssueType.Conflict, $"{type}/{id} is being updated by too many clients at once; retry.");
    }

    /// <summary>Stamps meta, serialises once and extracts index values: everything a store needs to persist a version.</summary>
    public ResourceWrite PrepareWrite(Resource resource, long version, long expectedCurrentVersion, string method)
    {
        if (validator is not null)
        {
            validator.CheckWrite(resource);
            if (ResourceValidator.IsConformance(resource.TypeName))
            {
                // A new or changed profile, value set or code system: recompile on next use.
                validator.Invalidate();
            }
        }

        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var now = time.GetUtcNow();
        // FHIR instants carry milliseconds at most in practice; truncating keeps _since/_at exact after a round trip.
        now = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        resource.Meta.LastUpdated = now;
        var json = FhirSerialization.ToJsonBytes(resource);
        var indexes = indexer.Extract(resource);
        if (TextExtractor.Extract(json) is { } text)
        {
            indexes.Add(text);
        }

        var id = resource.Id ?? throw new InvalidOperationException("A resource is written only after its id is set.");
        return new ResourceWrite(resource.TypeName, id, version, expectedCurrentVersion, now, method, json, indexes);
    }

    public ResourceWrite PrepareDelete(string type, string id, long currentVersion)
    {
        var now = time.GetUtcNow();
        now = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        return new ResourceWrite(type, id, currentVersion + 1, currentVersion, now, "DELETE", null, []);
    }

    public static ResourceVersion ToVersion(ResourceWrite write) =>
        new(write.Type, write.Id, write.Version, write.LastUpdated, write.Json is null, write.Method, write.Json);

    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + (attempt * 3))), cancellationToken);
}
