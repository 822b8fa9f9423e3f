using Carelake.Core.Fhir;
using Carelake.Core.Resources;
using Carelake.Core.Security;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Carelake.Http;
using Carelake.Security;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Endpoints;

/// <summary>Instance and type interactions: read, vread, create, update, delete, search, history.</summary>
internal static class ResourceEndpoints
{
    public static void Map(RouteGroupBuilder fhir, string basePath)
    {
        fhir.MapGet("/{type}", (HttpContext http, string type, CarelakeServices services) => SearchAsync(http, type, FhirContext.QueryParameters(http.Request), services, basePath));
        fhir.MapPost("/{type}/_search", async (HttpContext http, string type, CarelakeServices services) =>
        {
            var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
            var parameters = FhirContext.QueryParameters(http.Request).ToList();
            if (form is not null)
            {
                parameters.AddRange(form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? string.Empty))));
            }

            await SearchAsync(http, type, parameters, services, basePath);
        });
        fhir.MapPost("/{type}", CreateAsync);
        fhir.MapPut("/{type}", ConditionalUpdateAsync);
        fhir.MapDelete("/{type}", ConditionalDeleteAsync);
        fhir.MapGet("/{type}/{id}", ReadAsync);
        fhir.MapPut("/{type}/{id}", (HttpContext http, string type, string id, CarelakeServices services) => UpdateAsync(http, type, id, services, basePath));
        fhir.MapDelete("/{type}/{id}", DeleteAsync);
        fhir.MapPatch("/{type}/{id}", PatchAsync);
        fhir.MapGet("/{type}/{id}/_history/{versionId}", VReadAsync);
        fhir.MapPost("/{type}/$validate", (HttpContext http, string type, CarelakeServices services) => ValidateAsync(http, type, null, services));
        fhir.MapPost("/{type}/{id}/$validate", (HttpContext http, string type, string id, CarelakeServices services) => ValidateAsync(http, type, id, services));
        fhir.MapGet("/{type}/{id}/$validate", (HttpContext http, string type, string id, CarelakeServices services) => ValidateAsync(http, type, id, services));
        fhir.MapPost("/{type}/{id}/$expunge", ExpungeAsync);
        fhir.MapGet("/{type}/{id}/$meta", MetaAsync);
        fhir.MapGet("/{type}/$meta", (HttpContext http, string type, CarelakeServices services) =>
        {
            FhirContext.CheckType(type);
            AccessGuard.RequireFull(FhirAccess.Of(http), type, SmartInteractions.Read, "$meta of a type");
            return MetaInUseAsync(http, type, services);
        });
        fhir.MapGet("/$meta", (HttpContext http, CarelakeServices services) => FhirAccess.Of(http).CanReadEverything(SmartInteractions.Read)
            ? MetaInUseAsync(http, null, services)
            : throw AccessGuard.Forbidden("$meta across all types needs read access to every resource type."));
        fhir.MapPost("/{type}/{id}/$meta-add", (HttpContext http, string type, string id, CarelakeServices services) => ChangeMetaAsync(http, type, id, services, add: true));
        fhir.MapPost("/{type}/{id}/$meta-delete", (HttpContext http, string type, string id, CarelakeServices services) => ChangeMetaAsync(http, type, id, services, add: false));
        fhir.MapGet("/Patient/{id}/$everything", EverythingAsync);
        fhir.MapPost("/Patient/{id}/$everything", EverythingAsync);
        fhir.MapGet("/{compartment}/{id}/{type}", async (HttpContext http, string compartment, string id, string type, CarelakeServices services) =>
        {
            FhirContext.CheckType(compartment);
            FhirContext.CheckId(id);
            FhirContext.CheckType(type);
            FhirFormats.ForResponse(http.Request);
            var baseUrl = FhirContext.BaseUrl(http, basePath);
            var bundle = await services.Guard.SearchCompartmentAsync(FhirAccess.Of(http), baseUrl, compartment, id, type, FhirContext.QueryParameters(http.Request), FhirContext.StrictHandling(http.Request), http.RequestAborted);
            await FhirResponses.WriteBundleAsync(http, bundle, baseUrl, http.RequestAborted);
        });
        fhir.MapGet("/{type}/{id}/_history", (HttpContext http, string type, string id, CarelakeServices services) =>
        {
            FhirContext.CheckType(type);
            FhirContext.CheckId(id);
            return HistoryAsync(http, type, id, services, basePath);
        });
        fhir.MapGet("/{type}/_history", (HttpContext http, string type, CarelakeServices services) =>
        {
            FhirContext.CheckType(type);
            return HistoryAsync(http, type, null, services, basePath);
        });
        fhir.MapGet("/_history", (HttpContext http, CarelakeServices services) => HistoryAsync(http, null, null, services, basePath));

        async Task EverythingAsync(HttpContext http, string id, CarelakeServices services)
        {
            FhirContext.CheckId(id);
            FhirFormats.ForResponse(http.Request);
            var baseUrl = FhirContext.BaseUrl(http, basePath);
            var access = FhirAccess.Of(http);
            if (!access.IsUnrestricted)
            {
                var decision = AccessGuard.Require(access, "Patient", SmartInteractions.Read);
                if (decision.Compartment && id != access.PatientId)
                {
                    throw AccessGuard.Forbidden($"The access token is limited to the patient in context; Patient/{id} is another patient.");
                }

                if (await services.Store.ReadAsync("Patient", id, http.RequestAborted) is { Deleted: false } patient)
                {
                    await services.Guard.EnsureCanReadAsync(access, baseUrl, patient, http.RequestAborted);
                }
            }

            var bundle = await services.Guard.FilterAsync(access, baseUrl, await services.Search.EverythingAsync(baseUrl, id, FhirContext.QueryParameters(http.Request), http.RequestAborted), filterMatches: true, http.RequestAborted);
            await FhirResponses.WriteBundleAsync(http, bundle, baseUrl, http.RequestAborted);
        }

        async Task CreateAsync(HttpContext http, string type, CarelakeServices services)
        {
            FhirContext.CheckType(type);
            FhirFormats.ForResponse(http.Request);
            var access = FhirAccess.Of(http);
            AccessGuard.Require(access, type, SmartInteractions.Create);
            var resource = await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted);
            CheckBodyType(resource, type);
            await services.Guard.EnsureCanWriteAsync(access, FhirContext.BaseUrl(http, basePath), type, SmartInteractions.Create, null, resource, http.RequestAborted);
            if (http.Request.Headers["If-None-Exist"] is [{ Length: > 0 } ifNoneExist])
            {
                AccessGuard.RequireFull(access, type, SmartInteractions.Search, "A conditional create");
                // R4 3.1.0.8: one match → 200 with it, nothing created; none → created; several → 412.
                var (version, isNew) = await services.Conditional.CreateAsync(resource, ifNoneExist, http.RequestAborted);
                http.Response.Headers.Location = $"{FhirContext.BaseUrl(http, basePath)}/{type}/{version.Id}/_history/{version.Version}";
                await WriteWriteResultAsync(http, version, isNew ? 201 : 200);
                return;
            }

            var created = await services.Resources.CreateAsync(resource, http.RequestAborted);
            http.Response.Headers.Location = $"{FhirContext.BaseUrl(http, basePath)}/{type}/{created.Id}/_history/{created.Version}";
            await WriteWriteResultAsync(http, created, 201);
        }

        async Task ConditionalUpdateAsync(HttpContext http, string type, CarelakeServices services)
        {
            FhirContext.CheckType(type);
            FhirFormats.ForResponse(http.Request);
            var query = ConditionOf(http.Request, "PUT");
            AccessGuard.RequireFull(FhirAccess.Of(http), type, SmartInteractions.Update, "A conditional update");
            AccessGuard.RequireFull(FhirAccess.Of(http), type, SmartInteractions.Search, "A conditional update");
            var resource = await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted);
            CheckBodyType(resource, type);
            var (version, created) = await services.Conditional.UpdateAsync(type, query, resource, FhirContext.IfMatch(http.Request), http.RequestAborted);
            if (created)
            {
                http.Response.Headers.Location = $"{FhirContext.BaseUrl(http, basePath)}/{type}/{version.Id}/_history/{version.Version}";
            }

            await WriteWriteResultAsync(http, version, created ? 201 : 200);
        }

        async Task ConditionalDeleteAsync(HttpContext http, string type, CarelakeServices services)
        {
            FhirContext.CheckType(type);
            FhirFormats.ForResponse(http.Request);
            var condition = ConditionOf(http.Request, "DELETE");
            AccessGuard.RequireFull(FhirAccess.Of(http), type, SmartInteractions.Delete, "A conditional delete");
            AccessGuard.RequireFull(FhirAccess.Of(http), type, SmartInteractions.Search, "A conditional delete");
            var deleted = await services.Conditional.DeleteAsync(type, condition, http.RequestAborted);
            await DeletedAsync(http, type, deleted.Count switch { 0 => "(no match)", 1 => deleted[0].Id, _ => $"({deleted.Count} resources)" }, deleted.Count == 1 ? deleted[0] : null);
        }
    }

    private static async Task SearchAsync(HttpContext http, string type, IReadOnlyList<KeyValuePair<string, string>> parameters, CarelakeServices services, string basePath)
    {
        FhirContext.CheckType(type);
        FhirFormats.ForResponse(http.Request);
        var baseUrl = FhirContext.BaseUrl(http, basePath);
        var bundle = await services.Guard.SearchAsync(FhirAccess.Of(http), baseUrl, type, parameters, FhirContext.StrictHandling(http.Request), http.RequestAborted);
        await FhirResponses.WriteBundleAsync(http, bundle, baseUrl, http.RequestAborted);
    }

    private static async Task HistoryAsync(HttpContext http, string? type, string? id, CarelakeServices services, string basePath)
    {
        FhirFormats.ForResponse(http.Request);
        var baseUrl = FhirContext.BaseUrl(http, basePath);
        var access = FhirAccess.Of(http);
        if (id is not null)
        {
            // History of an unknown resource is a 404, not an empty Bundle.
            var current = await services.Store.ReadAsync(type!, id, http.RequestAborted) ?? throw FhirException.NotFound($"{type}/{id} is not known.");
            await services.Guard.EnsureCanReadAsync(access, baseUrl, current, http.RequestAborted);
        }
        else if (type is not null)
        {
            AccessGuard.RequireFull(access, type, SmartInteractions.Read, "Type-level history");
        }
        else if (!access.CanReadEverything(SmartInteractions.Read))
        {
            throw AccessGuard.Forbidden("System-level history needs read access to every resource type.");
        }

        var bundle = await services.Guard.FilterAsync(access, baseUrl, await services.Search.HistoryAsync(baseUrl, type, id, FhirContext.QueryParameters(http.Request), http.RequestAborted), filterMatches: false, http.RequestAborted);
        await FhirResponses.WriteBundleAsync(http, bundle, baseUrl, http.RequestAborted);
    }

    private static async Task ReadAsync(HttpContext http, string type, string id, CarelakeServices services)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        var version = await services.Resources.ReadAsync(type, id, http.RequestAborted);
        await services.Guard.EnsureCanReadAsync(FhirAccess.Of(http), FhirContext.BaseUrl(http, "/fhir"), version, http.RequestAborted);
        if (NotModified(http.Request, version))
        {
            http.Response.StatusCode = 304;
            FhirResponses.SetVersionHeaders(http.Response, version);
            return;
        }

        await FhirResponses.WriteVersionAsync(http, version, 200, http.RequestAborted);
    }

    private static async Task VReadAsync(HttpContext http, string type, string id, string versionId, CarelakeServices services)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        var version = await services.Resources.VReadAsync(type, id, FhirContext.ParseVersion(versionId), http.RequestAborted);
        var access = FhirAccess.Of(http);
        if (!access.IsUnrestricted)
        {
            // The resource as it is now must be visible, and a patient-bound token sees only versions in its compartment.
            var current = await services.Store.ReadAsync(type, id, http.RequestAborted);
            await services.Guard.EnsureCanReadAsync(access, FhirContext.BaseUrl(http, "/fhir"), current is { Deleted: false } ? current : version, http.RequestAborted);
            if (access.Decide(type, SmartInteractions.Read) is { Compartment: true } && version.Json is not null
                && !services.Guard.InPatientCompartment(FhirSerialization.ParseStored(version.Json), access.PatientId!))
            {
                throw AccessGuard.Forbidden($"That version of {type}/{id} is not in the compartment of the patient in context.");
            }
        }

        await FhirResponses.WriteVersionAsync(http, version, 200, http.RequestAborted);
    }

    private static async Task UpdateAsync(HttpContext http, string type, string id, CarelakeServices services, string basePath)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        AccessGuard.Require(FhirAccess.Of(http), type, SmartInteractions.Update);
        var resource = await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted);
        CheckBodyType(resource, type);
        if (resource.Id is null)
        {
            throw FhirException.BadRequest("An update must carry the resource id in the body (R4 3.1.0.4.1).", $"{type}.id");
        }

        if (resource.Id != id)
        {
            throw FhirException.BadRequest($"The body id '{resource.Id}' does not match the URL id '{id}'.", $"{type}.id");
        }

        await services.Guard.EnsureCanWriteAsync(FhirAccess.Of(http), FhirContext.BaseUrl(http, basePath), type, SmartInteractions.Update, await services.Store.ReadAsync(type, id, http.RequestAborted), resource, http.RequestAborted);
        var (version, created) = await services.Resources.UpdateAsync(type, id, resource, FhirContext.IfMatch(http.Request), http.RequestAborted);
        if (created)
        {
            http.Response.Headers.Location = $"{FhirContext.BaseUrl(http, basePath)}/{type}/{id}/_history/{version.Version}";
        }

        await WriteWriteResultAsync(http, version, created ? 201 : 200);
    }

    /// <summary>
    /// PATCH with a JSON Patch document (<c>application/json-patch+json</c>) or a FHIRPath Patch Parameters resource
    /// (<c>application/fhir+json</c> or <c>+xml</c>); If-Match pins the version patched.
    /// </summary>
    private static async Task PatchAsync(HttpContext http, string type, string id, CarelakeServices services)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        Func<ResourceVersion, Resource> apply;
        if (http.Request.ContentType?.Split(';')[0].Trim() is "application/json-patch+json")
        {
            var document = await FhirBody.ReadBytesAsync(http.Request, http.RequestAborted);
            apply = current => ResourceService.ApplyJsonPatch(current, document);
        }
        else
        {
            var body = await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted);
            var parameters = body as Parameters
                ?? throw new FhirException(415, OperationOutcome.IssueType.NotSupported, $"PATCH takes a JSON Patch document (Content-Type: application/json-patch+json) or a FHIRPath Patch Parameters resource, not a {body.TypeName}.");
            apply = current => FhirPathPatch.Apply(current, parameters);
        }

        var access = FhirAccess.Of(http);
        await services.Guard.EnsureCanWriteAsync(access, FhirContext.BaseUrl(http, "/fhir"), type, SmartInteractions.Update, await services.Store.ReadAsync(type, id, http.RequestAborted), null, http.RequestAborted);
        var unchecked_ = apply;
        apply = current =>
        {
            var patched = unchecked_(current);
            services.Guard.CheckBody(access, access.Decide(type, SmartInteractions.Update), patched);
            return patched;
        };
        var version = await services.Resources.PatchAsync(type, id, apply, FhirContext.IfMatch(http.Request), http.RequestAborted);
        await WriteWriteResultAsync(http, version, 200);
    }

    /// <summary>
    /// $validate (R4 resource-validate): the resource in the body (bare, or as Parameters.resource with mode and
    /// profile), or for GET the stored one, validated against the core and the profile asked for (or those it claims).
    /// Always 200 with the findings as an OperationOutcome; error issues mean it would be refused.
    /// </summary>
    private static async Task ValidateAsync(HttpContext http, string type, string? id, CarelakeServices services)
    {
        FhirContext.CheckType(type);
        if (id is not null)
        {
            FhirContext.CheckId(id);
        }

        FhirFormats.ForResponse(http.Request);
        var profile = http.Request.Query["profile"].FirstOrDefault();
        var mode = http.Request.Query["mode"].FirstOrDefault();
        Resource? resource = null;
        var access = FhirAccess.Of(http);
        if (HttpMethods.IsGet(http.Request.Method))
        {
            var stored = await services.Resources.ReadAsync(type, id!, http.RequestAborted);
            await services.Guard.EnsureCanReadAsync(access, FhirContext.BaseUrl(http, "/fhir"), stored, http.RequestAborted);
            resource = FhirSerialization.ParseStored(stored.Json);
        }
        else if (!access.Decide(type, SmartInteractions.Create).Allowed)
        {
            AccessGuard.Require(access, type, SmartInteractions.Update);
        }
        var findings = new OperationOutcome();
        if (resource is null)
        {
            // JSON is read leniently so that what the strict parser refuses is reported with everything else.
            var body = FhirFormats.ForRequest(http.Request) == FhirFormat.Json
                ? FhirSerialization.ParseForValidation(await FhirBody.ReadBytesAsync(http.Request, http.RequestAborted), findings)
                : await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted);
            if (body is Parameters parameters && type != "Parameters")
            {
                resource = parameters.Parameter.FirstOrDefault(p => p.Name == "resource")?.Resource;
                mode = (parameters.Parameter.FirstOrDefault(p => p.Name == "mode")?.Value as PrimitiveType)?.ToString() ?? mode;
                profile = (parameters.Parameter.FirstOrDefault(p => p.Name == "profile")?.Value as PrimitiveType)?.ToString() ?? profile;
            }
            else
            {
                resource = body;
            }
        }

        var outcome = mode switch
        {
            null or "create" or "update" or "delete" or "profile" => null,
            _ => Outcomes.Error(OperationOutcome.IssueType.Invalid, $"mode '{mode}' is not one of create, update, delete, profile.", null),
        };
        if (outcome is null && mode == "delete")
        {
            // Nothing blocks a (logical) delete here: references to it are allowed to dangle (R4 3.1.0.7).
            outcome = id is null
                ? Outcomes.Error(OperationOutcome.IssueType.Required, "mode=delete needs the instance: POST [type]/[id]/$validate.", null)
                : Outcomes.Information($"{type}/{id} can be deleted.");
        }
        else if (outcome is null && resource is null)
        {
            outcome = findings.Issue.Count > 0 ? findings : Outcomes.Error(OperationOutcome.IssueType.Required, "$validate needs a resource: in the body, or as Parameters.resource.", null);
        }
        else if (outcome is null && resource!.TypeName != type)
        {
            outcome = Outcomes.Error(OperationOutcome.IssueType.Invalid, $"The resource is a {resource.TypeName}, but $validate was called on {type}.", "resourceType");
        }
        else if (outcome is null && mode == "update" && resource!.Id != id)
        {
            outcome = Outcomes.Error(OperationOutcome.IssueType.Invalid, $"mode=update: the resource id '{resource.Id}' must be the URL id '{id}'.", $"{type}.id");
        }
        else if (outcome is null)
        {
            outcome = services.Validator.Validate(resource!, profile);
            // The parser's findings first; the validator may repeat a cardinality one in its own words.
            outcome.Issue.InsertRange(0, findings.Issue);
            if (outcome.Issue.Count == 0)
            {
                outcome.Issue.Add(new OperationOutcome.IssueComponent
                {
                    Severity = OperationOutcome.IssueSeverity.Information,
                    Code = OperationOutcome.IssueType.Informational,
                    Diagnostics = $"No issues: valid against the R4 core{(profile is null ? string.Empty : $" and {profile}")}.",
                });
            }
        }

        await FhirResponses.WritePocoAsync(http, outcome, 200, http.RequestAborted);
    }

    /// <summary>
    /// $expunge: erase a resource with its whole history (right to erasure). Administrators only: the request must
    /// carry <c>Authorization: Bearer</c> with the configured <c>Carelake:AdminToken</c> (or the server runs in --dev).
    /// Optional <c>Parameters.reason</c> (string) is kept in the AuditEvent that records the erasure.
    /// </summary>
    private static async Task ExpungeAsync(HttpContext http, string type, string id, CarelakeServices services, CarelakeOptions options)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        AccessGuard.RequireAdministrator(FhirAccess.Of(http), "Erasure ($expunge)");
        string? reason = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted) as Parameters
                ?? throw FhirException.BadRequest("$expunge takes no body or a Parameters resource (reason).");
            reason = (body.Parameter.FirstOrDefault(p => p.Name == "reason")?.Value as PrimitiveType)?.ToString();
        }

        var (versions, record) = await services.Resources.EraseAsync(type, id, reason, http.RequestAborted);
        var result = new Parameters
        {
            Parameter =
            [
                new Parameters.ParameterComponent { Name = "erased", Value = new FhirString($"{type}/{id}") },
                new Parameters.ParameterComponent { Name = "versions", Value = new UnsignedInt((int)Math.Min(versions, int.MaxValue)) },
                new Parameters.ParameterComponent { Name = "record", Value = new ResourceReference($"AuditEvent/{record.Id}") },
            ],
        };
        await FhirResponses.WritePocoAsync(http, result, 200, http.RequestAborted);
    }

    /// <summary>$meta: the tags, security labels and profiles of the current version, as Parameters.return.</summary>
    private static async Task MetaAsync(HttpContext http, string type, string id, CarelakeServices services)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        var current = await services.Resources.ReadAsync(type, id, http.RequestAborted);
        await services.Guard.EnsureCanReadAsync(FhirAccess.Of(http), FhirContext.BaseUrl(http, "/fhir"), current, http.RequestAborted);
        await FhirResponses.WritePocoAsync(http, MetaParameters(current), 200, http.RequestAborted);
    }

    private static async Task MetaInUseAsync(HttpContext http, string? type, CarelakeServices services)
    {
        FhirFormats.ForResponse(http.Request);
        var meta = await services.Search.MetaInUseAsync(type, http.RequestAborted);
        await FhirResponses.WritePocoAsync(http, new Parameters { Parameter = [new Parameters.ParameterComponent { Name = "return", Value = meta }] }, 200, http.RequestAborted);
    }

    /// <summary>$meta-add / $meta-delete with Parameters.meta; answers with the resulting meta.</summary>
    private static async Task ChangeMetaAsync(HttpContext http, string type, string id, CarelakeServices services, bool add)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        var body = await FhirBody.ReadResourceAsync(http.Request, http.RequestAborted);
        var meta = (body as Parameters)?.Parameter.SingleOrDefault(p => p.Name == "meta")?.Value as Meta
            ?? throw FhirException.BadRequest($"${(add ? "meta-add" : "meta-delete")} takes a Parameters resource with one 'meta' parameter (valueMeta).");
        await services.Guard.EnsureCanWriteAsync(FhirAccess.Of(http), FhirContext.BaseUrl(http, "/fhir"), type, SmartInteractions.Update, await services.Store.ReadAsync(type, id, http.RequestAborted), null, http.RequestAborted);
        var version = await services.Resources.ChangeMetaAsync(type, id, meta, add, http.RequestAborted);
        FhirResponses.SetVersionHeaders(http.Response, version);
        await FhirResponses.WritePocoAsync(http, MetaParameters(version), 200, http.RequestAborted);
    }

    private static Parameters MetaParameters(ResourceVersion version)
    {
        var meta = FhirSerialization.ParseStored(version.Json).Meta ?? new Meta();
        return new Parameters { Parameter = [new Parameters.ParameterComponent { Name = "return", Value = meta }] };
    }

    private static async Task DeleteAsync(HttpContext http, string type, string id, CarelakeServices services)
    {
        FhirContext.CheckType(type);
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        await services.Guard.EnsureCanWriteAsync(FhirAccess.Of(http), FhirContext.BaseUrl(http, "/fhir"), type, SmartInteractions.Delete, await services.Store.ReadAsync(type, id, http.RequestAborted), null, http.RequestAborted);
        var deleted = await services.Resources.DeleteAsync(type, id, FhirContext.IfMatch(http.Request), http.RequestAborted);
        await DeletedAsync(http, type, id, deleted);
    }

    /// <summary>The query of a conditional PUT or DELETE (<c>Type?identifier=…</c>); without one the URL names no resource.</summary>
    private static string ConditionOf(HttpRequest request, string method) =>
        request.QueryString.HasValue && request.QueryString.Value!.Length > 1
            ? request.QueryString.Value[1..]
            : throw new FhirException(405, OperationOutcome.IssueType.NotSupported, $"{method} [type] needs search criteria (conditional {method}, e.g. ?identifier=system|value) or an id in the URL ({method} [type]/[id]).");

    private static async Task DeletedAsync(HttpContext http, string type, string id, ResourceVersion? deleted)
    {
        if (deleted is not null)
        {
            http.Response.Headers.ETag = ETags.For(deleted.Version);
        }

        if (FhirContext.PreferReturn(http.Request) == "operationoutcome")
        {
            await FhirResponses.WritePocoAsync(http, Outcomes.Information(deleted is null ? $"{type}/{id} did not exist; nothing to delete." : $"Deleted {type}/{id}."), 200, http.RequestAborted);
            return;
        }

        http.Response.StatusCode = 204;
    }

    private static async Task WriteWriteResultAsync(HttpContext http, ResourceVersion version, int status)
    {
        switch (FhirContext.PreferReturn(http.Request))
        {
            case "minimal":
                http.Response.StatusCode = status;
                FhirResponses.SetVersionHeaders(http.Response, version);
                break;
            case "operationoutcome":
                FhirResponses.SetVersionHeaders(http.Response, version);
                await FhirResponses.WritePocoAsync(http, Outcomes.Information($"{(status == 201 ? "Created" : "Updated")} {version.Type}/{version.Id} version {version.Version}."), status, http.RequestAborted);
                break;
            default:
                await FhirResponses.WriteVersionAsync(http, version, status, http.RequestAborted);
                break;
        }
    }

    private static void CheckBodyType(Resource resource, string type)
    {
        if (resource.TypeName != type)
        {
            throw FhirException.BadRequest($"The body is a {resource.TypeName} but the URL names {type}.", "resourceType");
        }
    }

    private static bool NotModified(HttpRequest request, ResourceVersion version)
    {
        DateTimeOffset? since = request.Headers.IfModifiedSince.Count > 0
            && DateTimeOffset.TryParse(request.Headers.IfModifiedSince[0], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed
                : null;
        return ETags.NotModified(request.Headers.IfNoneMatch, since, version.Version, version.LastUpdated);
    }
}
