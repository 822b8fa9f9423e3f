using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Carelake.Core.Validation;

/// <summary>When resources are validated as they are written.</summary>
public enum ValidationPolicy
{
    /// <summary>Only the strict parse every write gets (types, known elements, formats).</summary>
    None,

    /// <summary>Every write against the core R4 definitions (cardinality, required bindings, invariants).</summary>
    Core,

    /// <summary>Writes that claim profiles this server knows (core or stored) in meta.profile, against them and the core.</summary>
    ProfilesInMeta,
}

/// <summary>
/// Validation with the Firely validator against the R4 core definitions (the specification.zip shipped with the SDK)
/// and against StructureDefinition, ValueSet and CodeSystem resources stored on this server, so uploading an
/// implementation guide's profiles makes them usable. Compiled profiles are cached; a write of a conformance
/// resource drops the cache so the next validation sees it.
/// </summary>
public sealed class ResourceValidator
{
    private static readonly Lazy<IAsyncResourceResolver> Core = new(() => new CachedResolver(ZipSource.CreateValidationSource()));

    private readonly IAsyncResourceResolver _stored;
    private volatile Validator? _validator;
    private volatile Validator? _writeValidator;

    public ResourceValidator(IResourceStore store, SearchParameterRegistry registry, ValidationPolicy policy)
    {
        Policy = policy;
        _stored = new StoredConformanceResolver(store, registry);
    }

    public ValidationPolicy Policy { get; }

    public static bool IsConformance(string type) => type is "StructureDefinition" or "ValueSet" or "CodeSystem";

    /// <summary>Forget compiled profiles and expansions (after a conformance resource changed).</summary>
    public void Invalidate()
    {
        _validator = null;
        _writeValidator = null;
        _known.Clear();
    }

    /// <summary>Validates against the core definition of its type and the given profile (or its meta.profile claims when none is given).</summary>
    public OperationOutcome Validate(Resource resource, string? profile = null) => Validate(_validator ??= Build(forWrites: false), resource, profile);

    private static OperationOutcome Validate(Validator validator, Resource resource, string? profile)
    {
        var outcome = validator.Validate(resource, profile);
        outcome.Issue.RemoveAll(i => i.Severity == OperationOutcome.IssueSeverity.Information && i.Diagnostics is null);
        return outcome;
    }

    /// <summary>The check made on every write under <see cref="Policy"/>: throws 422 with the findings when there are errors.</summary>
    public void CheckWrite(Resource resource)
    {
        var applies = Policy switch
        {
            ValidationPolicy.Core => true,
            ValidationPolicy.ProfilesInMeta => resource.Meta?.Profile.Any(IsKnownProfile) == true,
            _ => false,
        };
        if (!applies)
        {
            return;
        }

        var outcome = Validate(_writeValidator ??= Build(forWrites: true), resource, null);
        // "Incomplete" findings are what this server could not check (a profile or value set it does not have): they
        // are reported by $validate but do not refuse a write.
        if (outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal && i.Code != OperationOutcome.IssueType.Incomplete))
        {
            outcome.Issue.RemoveAll(i => i.Severity is OperationOutcome.IssueSeverity.Information);
            throw new FhirException(422, outcome);
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    /// <summary>Whether a profile URL resolves here (the core specification or a stored StructureDefinition).</summary>
    private bool IsKnownProfile(string? url) =>
        url is not null && _known.GetOrAdd(url, u =>
        {
#pragma warning disable CS0618 // The Try… variant only adds the reason for a miss, which does not matter here.
            return Resolver.ResolveByCanonicalUriAsync(u).GetAwaiter().GetResult() is StructureDefinition;
#pragma warning restore CS0618
        });

    /// <summary>The core specification first, then what is stored here; built on first use (the core loads specification.zip).</summary>
    private MultiResolver Resolver => _resolver ??= new MultiResolver(Core.Value, _stored);

    private MultiResolver? _resolver;

    public static bool HasErrors(OperationOutcome outcome) =>
        outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);

    private Validator Build(bool forWrites)
    {
        var resolver = Resolver;
        var terminology = new LocalTerminologyService(resolver);
        var settings = new ValidationSettings
        {
            // Profiles the server does not have are reported by $validate; on writes only known ones are used.
            SelectValidationProfiles = Policy == ValidationPolicy.ProfilesInMeta && forWrites
                ? (_, profiles, _, _) => Array.FindAll(profiles, p => IsKnownProfile(p.ToString()))
                : null,
        };
        return new Validator(resolver, terminology, null, settings);
    }

    /// <summary>Canonical URLs (optionally |version) of StructureDefinitions, ValueSets and CodeSystems stored here.</summary>
    private sealed class StoredConformanceResolver(IResourceStore store, SearchParameterRegistry registry) : IAsyncResourceResolver
    {
        public Task<Resource?> ResolveByUriAsync(string uri) => ResolveByCanonicalUriAsync(uri);

        public async Task<Resource?> ResolveByCanonicalUriAsync(string uri)
        {
            foreach (var type in new[] { "StructureDefinition", "ValueSet", "CodeSystem" })
            {
                if (await CanonicalResources.FindAsync(store, registry, type, uri, CancellationToken.None) is { } found)
                {
                    return found;
                }
            }

            return null;
        }
    }
}
