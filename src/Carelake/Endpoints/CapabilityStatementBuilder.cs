using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Hosting;
using Hl7.Fhir.Model;

namespace Carelake.Endpoints;

/// <summary>
/// The CapabilityStatement, generated from what is implemented: the interactions the endpoints map and the search
/// parameters the registry indexes. When a feature is added, it is added here in the same change.
/// </summary>
public sealed class CapabilityStatementBuilder(CarelakeServices services, CarelakeOptions options)
{
    private static readonly CapabilityStatement.TypeRestfulInteraction[] TypeInteractions =
    [
        CapabilityStatement.TypeRestfulInteraction.Read,
        CapabilityStatement.TypeRestfulInteraction.Vread,
        CapabilityStatement.TypeRestfulInteraction.Update,
        CapabilityStatement.TypeRestfulInteraction.Patch,
        CapabilityStatement.TypeRestfulInteraction.Delete,
        CapabilityStatement.TypeRestfulInteraction.Create,
        CapabilityStatement.TypeRestfulInteraction.SearchType,
        CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
        CapabilityStatement.TypeRestfulInteraction.HistoryType,
    ];

    private (int Version, CapabilityStatement Statement)? _cached;

    public CapabilityStatement Build(string baseUrl)
    {
        // Rebuilt when the registry changes, so custom parameters appear once a $reindex installs them.
        if (_cached is not { } cached || cached.Version != services.Registry.Version)
        {
            cached = (services.Registry.Version, Create());
            _cached = cached;
        }

        var template = cached.Statement;
        var statement = (CapabilityStatement)template.DeepCopy();
        statement.Implementation = new CapabilityStatement.ImplementationComponent { Description = "Carelake FHIR R4 server", Url = baseUrl };
        if (!options.Dev)
        {
            // SMART App Launch: the service and the OAuth endpoints (the full picture is /.well-known/smart-configuration).
            var origin = baseUrl.EndsWith(options.BasePath, StringComparison.Ordinal) ? baseUrl[..^options.BasePath.Length] : baseUrl;
            var uris = new Extension { Url = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris" };
            uris.Extension.Add(new Extension("authorize", new FhirUri(origin + "/auth/authorize")));
            uris.Extension.Add(new Extension("token", new FhirUri(origin + "/auth/token")));
            uris.Extension.Add(new Extension("revoke", new FhirUri(origin + "/auth/revoke")));
            uris.Extension.Add(new Extension("introspect", new FhirUri(origin + "/auth/introspect")));
            statement.Rest[0].Security = new CapabilityStatement.SecurityComponent
            {
                Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR")],
                Description = "OAuth 2.0 / SMART App Launch v2 bearer tokens; see /.well-known/smart-configuration.",
                Extension = [uris],
            };
        }

        return statement;
    }

    private CapabilityStatement Create()
    {
        var version = typeof(CapabilityStatementBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";
        var rest = new CapabilityStatement.RestComponent { Mode = CapabilityStatement.RestfulCapabilityMode.Server };
        foreach (var type in ResourceTypes.All.Order(StringComparer.Ordinal))
        {
            var resource = new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Versioning = CapabilityStatement.ResourceVersionPolicy.Versioned,
                ReadHistory = true,
                UpdateCreate = true,
                ConditionalCreate = true,
                ConditionalRead = CapabilityStatement.ConditionalReadStatus.FullSupport,
                ConditionalUpdate = true,
                ConditionalDelete = options.ConditionalDeleteMax > 1 ? CapabilityStatement.ConditionalDeleteStatus.Multiple : CapabilityStatement.ConditionalDeleteStatus.Single,
                Interaction = TypeInteractions.Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i }).ToList(),
            };
            resource.SearchParam.Add(Param("_id", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Resource-id"));
            resource.SearchParam.Add(Param("_lastUpdated", SearchParamType.Date, "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"));
            foreach (var parameter in services.Registry.ForType(type).OrderBy(p => p.Code, StringComparer.Ordinal))
            {
                resource.SearchParam.Add(Param(parameter.Code, parameter.Type, parameter.Url));
            }

            rest.Resource.Add(resource);
        }

        Audit.AuditCapability.Restrict(rest.Resource.Single(r => r.Type == Core.Audit.AuditChain.ResourceType));

        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction });
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch });
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.HistorySystem });
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.SearchSystem });
        rest.Operation.Add(new CapabilityStatement.OperationComponent { Name = "reindex", Definition = "http://carelake.dev/fhir/OperationDefinition/reindex" });

        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Publisher = "Carelake",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "Carelake", Version = version },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml", "json", "xml"],
            Rest = [rest],
        };
    }

    private static CapabilityStatement.SearchParamComponent Param(string name, SearchParamType type, string url) =>
        new() { Name = name, Type = type, Definition = url };
}
