using Carelake.Core.Fhir;
using Carelake.Hosting;
using Carelake.Core.Security;
using Carelake.Http;
using Carelake.Security;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Endpoints;

/// <summary>System-level interactions: capabilities, $versions, transaction/batch, and the unknown-route fallback.</summary>
internal static class SystemEndpoints
{
    public static void Map(RouteGroupBuilder fhir, string basePath)
    {
        fhir.MapGet("/metadata", async (HttpContext http, CapabilityStatementBuilder capabilities) =>
        {
            FhirFormats.ForResponse(http.Request);
            await FhirResponses.WritePocoAsync(http, capabilities.Build(FhirContext.BaseUrl(http, basePath)), 200, http.RequestAborted);
        });
        fhir.MapGet("/$versions", async (HttpContext http) =>
        {
            FhirFormats.ForResponse(http.Request);
            var parameters = new Parameters();
            parameters.Add("version", new Code("4.0"));
            parameters.Add("default", new Code("4.0"));
            await FhirResponses.WritePocoAsync(http, parameters, 200, http.RequestAborted);
        });
        fhir.MapGet("/", async (HttpContext http, CarelakeServices services) =>
        {
            FhirFormats.ForResponse(http.Request);
            var baseUrl = FhirContext.BaseUrl(http, basePath);
            var access = FhirAccess.Of(http);
            var parameters = FhirContext.QueryParameters(http.Request);
            var types = parameters.Where(p => p.Key == "_type").SelectMany(p => p.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (types.Count == 0 && !access.CanReadEverything(SmartInteractions.Search))
            {
                throw AccessGuard.Forbidden("A search across all types needs search access to every resource type; name the types with _type.");
            }

            foreach (var type in types.Where(ResourceTypes.IsKnown))
            {
                AccessGuard.RequireFull(access, type, SmartInteractions.Search, "A system-level search");
            }

            var bundle = await services.Guard.FilterAsync(access, baseUrl, await services.Search.SearchSystemAsync(baseUrl, parameters, FhirContext.StrictHandling(http.Request), http.RequestAborted), filterMatches: true, http.RequestAborted);
            await FhirResponses.WriteBundleAsync(http, bundle, baseUrl, http.RequestAborted);
        });
        fhir.MapPost("/", async (HttpContext http, CarelakeServices services) =>
        {
            FhirFormats.ForResponse(http.Request);
            var resource = await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted);
            if (resource is not Bundle bundle)
            {
                throw FhirException.BadRequest($"POST to the base URL takes a Bundle, not a {resource.TypeName}.");
            }

            var response = await BundleAccess.ProcessAsync(FhirAccess.Of(http), bundle, services, FhirContext.BaseUrl(http, basePath), http.RequestAborted);
            await FhirResponses.WritePocoAsync(http, response, 200, http.RequestAborted);
        });
        fhir.Map("/{**rest}", (HttpContext http) =>
            throw new FhirException(http.Request.Method is "GET" or "POST" or "PUT" or "DELETE" or "PATCH" ? 404 : 405,
                OperationOutcome.IssueType.NotSupported, $"{http.Request.Method} {basePath}/{http.Request.RouteValues["rest"]} is not a supported FHIR interaction."));
    }
}
