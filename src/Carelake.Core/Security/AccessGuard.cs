using System.Text;
using System.Text.Json;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Core.Security;

/// <summary>
/// Enforces an <see cref="AccessContext"/> on FHIR interactions. Membership of the patient compartment and SMART v2
/// query restrictions are decided by the search engine itself (<c>_id=…</c> plus the restriction, as a compartment
/// search when bound to a patient), so a resource is visible exactly when a search under the same rules finds it.
/// Everything a response carries — matches, <c>_include</c>/<c>_revinclude</c> results, $everything entries — passes here.
/// </summary>
public sealed class AccessGuard(IResourceStore store, SearchService search, SearchIndexer indexer)
{
    private const string ConfidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    private static readonly byte[] ConfidentialityMarker = Encoding.UTF8.GetBytes("v3-Confidentiality");

    /// <summary>403 unless the interaction is allowed at all; the decision says how it is bounded.</summary>
    public static AccessDecision Require(AccessContext access, string type, SmartInteractions interaction)
    {
        var decision = access.Decide(type, interaction);
        return decision.Allowed ? decision : throw Forbidden($"The access token grants no {Describe(interaction)} access to {type} resources.");
    }

    /// <summary>403 unless the interaction is allowed on every resource of the type (no compartment, no restriction).</summary>
    public static void RequireFull(AccessContext access, string type, SmartInteractions interaction, string what)
    {
        if (!Require(access, type, interaction).IsFull)
        {
            throw Forbidden($"{what} needs {Describe(interaction)} access to all {type} resources; the access token is limited to a patient compartment or a query restriction.");
        }
    }

    public static void RequireAdministrator(AccessContext access, string what)
    {
        if (!access.IsAdministrator)
        {
            throw Forbidden($"{what} is for administrators.");
        }
    }

    public static FhirException Forbidden(string message) => new(403, OperationOutcome.IssueType.Forbidden, message);

    /// <summary>Read (and vread/history/$meta of an instance): the current resource must be visible to the token.</summary>
    public async Task EnsureCanReadAsync(AccessContext access, string baseUrl, ResourceVersion current, CancellationToken cancellationToken)
    {
        if (access.IsUnrestricted)
        {
            return;
        }

        var decision = access.Decide(current.Type, SmartInteractions.Read);
        if (!decision.Allowed)
        {
            decision = Require(access, current.Type, SmartInteractions.Search);
        }

        if (!(await VisibleIdsAsync(access, baseUrl, current.Type, [current.Id], decision, cancellationToken)).Contains(current.Id))
        {
            throw Forbidden(decision.Compartment
                ? $"{current.Type}/{current.Id} is not in the compartment of the patient in context."
                : $"{current.Type}/{current.Id} does not match the access token's restriction on {current.Type}.");
        }

        await EnsureNotRestrictedAsync(access, current, cancellationToken);
    }

    /// <summary>
    /// A type search under the token: bound to the patient compartment and the v2 restriction when the token is,
    /// then the included resources filtered to those the token may read.
    /// </summary>
    public async Task<SearchResultBundle> SearchAsync(AccessContext access, string baseUrl, string type, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict, CancellationToken cancellationToken)
    {
        var decision = Require(access, type, SmartInteractions.Search);
        var all = parameters.Concat(decision.Restriction).ToList();
        var bundle = decision.Compartment
            ? await search.SearchCompartmentAsync(baseUrl, "Patient", access.PatientId!, type, all, strict, cancellationToken)
            : await search.SearchAsync(baseUrl, type, all, strict, cancellationToken);
        return await FilterAsync(access, baseUrl, bundle, filterMatches: false, cancellationToken);
    }

    /// <summary>A compartment search (<c>Patient/123/Observation</c>); with a patient in context only that patient's compartment.</summary>
    public async Task<SearchResultBundle> SearchCompartmentAsync(AccessContext access, string baseUrl, string compartment, string id, string type, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict, CancellationToken cancellationToken)
    {
        var decision = Require(access, type, SmartInteractions.Search);
        if (decision.Compartment && (compartment != "Patient" || id != access.PatientId))
        {
            throw Forbidden($"The access token is limited to the compartment of the patient in context; {compartment}/{id} is another compartment.");
        }

        var bundle = await search.SearchCompartmentAsync(baseUrl, compartment, id, type, parameters.Concat(decision.Restriction).ToList(), strict, cancellationToken);
        return await FilterAsync(access, baseUrl, bundle, filterMatches: decision.Compartment && compartment != "Patient", cancellationToken);
    }

    /// <summary>
    /// Drops every entry the token may not read: included resources always, matches too when the search itself could
    /// not be bounded (system search, $everything, history). Restricted (confidential) resources need break-glass.
    /// </summary>
    public async Task<SearchResultBundle> FilterAsync(AccessContext access, string baseUrl, SearchResultBundle bundle, bool filterMatches, CancellationToken cancellationToken)
    {
        if (access.IsUnrestricted)
        {
            return bundle;
        }

        var included = await FilterListAsync(access, baseUrl, bundle.Included, cancellationToken);
        var entries = filterMatches ? await FilterListAsync(access, baseUrl, bundle.Entries, cancellationToken) : await DropConfidentialAsync(access, bundle.Entries, cancellationToken);
        return bundle with { Entries = entries, Included = included };
    }

    /// <summary>Create, update, delete, patch: the decision for the interaction, the existing resource and the new body must all fit.</summary>
    public async Task EnsureCanWriteAsync(AccessContext access, string baseUrl, string type, SmartInteractions interaction, ResourceVersion? existing, Resource? body, CancellationToken cancellationToken)
    {
        if (access.IsUnrestricted)
        {
            return;
        }

        var decision = Require(access, type, interaction);
        if (existing is { Deleted: false, Json: not null }
            && !(await VisibleIdsAsync(access, baseUrl, type, [existing.Id], decision, cancellationToken)).Contains(existing.Id))
        {
            throw Forbidden($"{type}/{existing.Id} is outside what the access token may {Describe(interaction)}.");
        }

        if (body is not null)
        {
            CheckBody(access, decision, body);
        }
    }

    /// <summary>A body about to be written (or a patched result) must stay in the patient's compartment.</summary>
    public void CheckBody(AccessContext access, AccessDecision decision, Resource body)
    {
        if (access.IsUnrestricted || !decision.Compartment)
        {
            if (decision.Restriction.Count > 0)
            {
                throw Forbidden($"Writing {body.TypeName} under a query-restricted scope is not supported; ask for an unrestricted write scope.");
            }

            return;
        }

        if (decision.Restriction.Count > 0)
        {
            throw Forbidden($"Writing {body.TypeName} under a query-restricted scope is not supported; ask for an unrestricted write scope.");
        }

        if (!InPatientCompartment(body, access.PatientId!))
        {
            throw Forbidden($"The {body.TypeName} would not be in the compartment of the patient in context.");
        }
    }

    /// <summary>Whether a resource body refers to the patient through one of its Patient-compartment parameters (or is that patient).</summary>
    public bool InPatientCompartment(Resource body, string patientId)
    {
        if (body.TypeName == "Patient" && body.Id == patientId)
        {
            return true;
        }

        var codes = CompartmentDefinitions.Standard.Value.ParametersFor("Patient", body.TypeName);
        var ids = codes.Select(code => indexer.Registry.TryGet(body.TypeName, code, out var p) ? p.Id : -1).Where(id => id >= 0).ToHashSet();
        return indexer.Extract(body).OfType<ReferenceIndexValue>()
            .Any(r => ids.Contains(r.ParamId) && r.TargetType == "Patient" && r.TargetId == patientId);
    }

    /// <summary>Resources labelled restricted or very restricted (v3-Confidentiality R/V) need an active break-glass grant.</summary>
    public static bool IsConfidential(byte[]? json)
    {
        if (json is null || json.AsSpan().IndexOf(ConfidentialityMarker) < 0)
        {
            return false;
        }

        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("meta", out var meta) || !meta.TryGetProperty("security", out var security) || security.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var coding in security.EnumerateArray())
        {
            if (coding.TryGetProperty("system", out var system) && system.ValueEquals(ConfidentialitySystem)
                && coding.TryGetProperty("code", out var code) && (code.ValueEquals("R") || code.ValueEquals("V")))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task EnsureNotRestrictedAsync(AccessContext access, ResourceVersion version, CancellationToken cancellationToken)
    {
        if (IsConfidential(version.Json) && !await HasBreakGlassAsync(access, cancellationToken))
        {
            throw Forbidden($"{version.Type}/{version.Id} is labelled restricted; it needs break-glass emergency access (POST /auth/break-glass with a reason).");
        }
    }

    private static async Task<bool> HasBreakGlassAsync(AccessContext access, CancellationToken cancellationToken) =>
        access.IsUnrestricted || (access.BreakGlass is { } check && await check(cancellationToken));

    private static async Task<IReadOnlyList<ResourceVersion>> DropConfidentialAsync(AccessContext access, IReadOnlyList<ResourceVersion> list, CancellationToken cancellationToken)
    {
        if (!list.Any(v => IsConfidential(v.Json)) || await HasBreakGlassAsync(access, cancellationToken))
        {
            return list;
        }

        return list.Where(v => !IsConfidential(v.Json)).ToList();
    }

    private async Task<IReadOnlyList<ResourceVersion>> FilterListAsync(AccessContext access, string baseUrl, IReadOnlyList<ResourceVersion> list, CancellationToken cancellationToken)
    {
        if (list.Count == 0)
        {
            return list;
        }

        var keep = new HashSet<(string, string)>();
        foreach (var group in list.Where(v => v.Container is null && !v.Deleted).GroupBy(v => v.Type, StringComparer.Ordinal))
        {
            var decision = access.Decide(group.Key, SmartInteractions.Read);
            if (!decision.Allowed)
            {
                decision = access.Decide(group.Key, SmartInteractions.Search);
            }

            if (!decision.Allowed)
            {
                continue;
            }

            foreach (var id in await VisibleIdsAsync(access, baseUrl, group.Key, group.Select(v => v.Id).Distinct(StringComparer.Ordinal).ToList(), decision, cancellationToken))
            {
                keep.Add((group.Key, id));
            }
        }

        // Contained resources come with their container, which was checked as a match.
        var kept = list.Where(v => v.Container is not null || keep.Contains((v.Type, v.Id))).ToList();
        return await DropConfidentialAsync(access, kept, cancellationToken);
    }

    /// <summary>The ids among <paramref name="ids"/> a search under the decision's compartment and restriction finds.</summary>
    private async Task<HashSet<string>> VisibleIdsAsync(AccessContext access, string baseUrl, string type, IReadOnlyList<string> ids, AccessDecision decision, CancellationToken cancellationToken)
    {
        if (!decision.Compartment && decision.Restriction.Count == 0)
        {
            return ids.ToHashSet(StringComparer.Ordinal);
        }

        var visible = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(200))
        {
            var parameters = new List<KeyValuePair<string, string>>
            {
                new("_id", string.Join(',', chunk)),
                new("_count", chunk.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            };
            parameters.AddRange(decision.Restriction);
            var found = decision.Compartment
                ? await search.SearchCompartmentAsync(baseUrl, "Patient", access.PatientId!, type, parameters, false, cancellationToken)
                : await search.SearchAsync(baseUrl, type, parameters, false, cancellationToken);
            visible.UnionWith(found.Entries.Select(e => e.Id));
        }

        return visible;
    }

    /// <summary>Reads the current version for a write check (null when there is none).</summary>
    public Task<ResourceVersion?> CurrentAsync(string type, string id, CancellationToken cancellationToken) => store.ReadAsync(type, id, cancellationToken);

    private static string Describe(SmartInteractions interaction) => interaction switch
    {
        SmartInteractions.Create => "create",
        SmartInteractions.Read => "read",
        SmartInteractions.Update => "update",
        SmartInteractions.Delete => "delete",
        SmartInteractions.Search => "search",
        _ => interaction.ToString().ToLowerInvariant(),
    };
}
