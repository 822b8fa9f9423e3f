using System.Globalization;
using Carelake.Core.Audit;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Security;
using Carelake.Core.Storage;
using Carelake.Endpoints;
using Carelake.Hosting;
using Carelake.Http;
using Carelake.Security;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Audit;

/// <summary>
/// The audit trail through the FHIR API: AuditEvent read and search (administrators and auditors only; never a
/// patient-in-context token), no writes; and the admin API's safeguards report.
/// </summary>
internal static class AuditEndpoints
{
    private static readonly string[] KeyParameters = ["patient", "entity", "agent", "type", "subtype", "action", "outcome"];

    public static void Map(WebApplication app, RouteGroupBuilder fhir, CarelakeOptions options)
    {
        fhir.MapGet("/AuditEvent", (HttpContext http, CarelakeServices services) => SearchAsync(http, services, options, FhirContext.QueryParameters(http.Request)));
        fhir.MapPost("/AuditEvent/_search", async (HttpContext http, CarelakeServices services) =>
        {
            var parameters = FhirContext.QueryParameters(http.Request).ToList();
            if (http.Request.HasFormContentType)
            {
                var form = await http.Request.ReadFormAsync(http.RequestAborted);
                parameters.AddRange(form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? string.Empty))));
            }

            await SearchAsync(http, services, options, parameters);
        });
        // The Patient compartment of the trail (AuditEvent's compartment parameter is `patient`): every record naming
        // the patient. Mapped ahead of the generic compartment route, whose resource store holds no audit records.
        fhir.MapGet("/Patient/{id}/AuditEvent", (HttpContext http, string id, CarelakeServices services) =>
        {
            FhirContext.CheckId(id);
            return SearchAsync(http, services, options, [.. FhirContext.QueryParameters(http.Request).Where(p => p.Key != "patient"), new("patient", "Patient/" + id)]);
        });
        fhir.MapGet("/AuditEvent/{id}", (HttpContext http, string id, CarelakeServices services) => ReadAsync(http, id, null, services));
        fhir.MapGet("/AuditEvent/{id}/_history/{versionId}", (HttpContext http, string id, string versionId, CarelakeServices services) => ReadAsync(http, id, versionId, services));
        fhir.MapMethods("/AuditEvent", ["POST", "PUT", "DELETE", "PATCH"], NotWritable);
        fhir.MapMethods("/AuditEvent/{id}", ["PUT", "DELETE", "PATCH", "POST"], NotWritable);
        fhir.MapMethods("/AuditEvent/{id}/{**rest}", ["PUT", "DELETE", "PATCH", "POST"], NotWritable);
        fhir.MapGet("/AuditEvent/{id}/_history", (HttpContext http) => NoHistory(http));

        app.MapGet("/admin/compliance", async (HttpContext http, ComplianceReport report) =>
        {
            AccessGuard.RequireAdministrator(FhirAccess.Of(http), "The safeguards report");
            var checks = await report.RunAsync(http.RequestAborted);
            return Results.Json(new { passed = checks.All(c => c.Passed), checks = checks.Select(c => new { id = c.Id, safeguard = c.Safeguard, passed = c.Passed, finding = c.Finding, remediation = c.Remediation }) });
        });
    }

    private static Task NoHistory(HttpContext http) =>
        throw new FhirException(405, OperationOutcome.IssueType.NotSupported, "Audit records have one version and no history.");

    private static Task NotWritable(HttpContext http) =>
        throw new FhirException(405, OperationOutcome.IssueType.NotSupported, "AuditEvent records are written by the server only; they cannot be created, changed or deleted through the API.");

    /// <summary>Administrators and auditors, with a user-level (not patient-bound) grant; everyone else gets 403.</summary>
    private static void RequireAuditor(AccessContext access, SmartInteractions interaction)
    {
        if (access.IsUnrestricted)
        {
            return;
        }

        if (access.Role is not (Roles.Administrator or Roles.Auditor) || access.PatientId is not null)
        {
            throw AccessGuard.Forbidden("The audit trail is readable by administrators and auditors only, and never with a patient in context.");
        }

        var decision = access.Decide(AuditChain.ResourceType, interaction);
        if (!decision.Allowed || decision.Compartment)
        {
            throw AccessGuard.Forbidden("The access token grants no user-level access to AuditEvent (e.g. user/AuditEvent.rs).");
        }
    }

    private static async Task ReadAsync(HttpContext http, string id, string? versionId, CarelakeServices services)
    {
        FhirContext.CheckId(id);
        FhirFormats.ForResponse(http.Request);
        RequireAuditor(FhirAccess.Of(http), SmartInteractions.Read);
        if (versionId is not null && FhirContext.ParseVersion(versionId) != 1)
        {
            throw FhirException.NotFound($"AuditEvent/{id} has only version 1.");
        }

        var hit = await services.AuditLog.ReadAsync(id, http.RequestAborted) ?? throw FhirException.NotFound($"AuditEvent/{id} is not known.");
        await FhirResponses.WriteVersionAsync(http, ToVersion(hit), 200, http.RequestAborted);
    }

    private static async Task SearchAsync(HttpContext http, CarelakeServices services, CarelakeOptions options, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        FhirFormats.ForResponse(http.Request);
        RequireAuditor(FhirAccess.Of(http), SmartInteractions.Search);
        var query = Parse(parameters, options, FhirContext.StrictHandling(http.Request));
        var hits = await services.AuditLog.SearchAsync(query, http.RequestAborted);
        var baseUrl = FhirContext.BaseUrl(http, options.BasePath);
        var self = $"{baseUrl}/AuditEvent{http.Request.QueryString}";
        var links = new List<(string, string)> { ("self", self) };
        if (hits.Count == query.Count)
        {
            var rest = parameters.Where(p => p.Key != "_cursor").Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}");
            links.Add(("next", $"{baseUrl}/AuditEvent?{string.Join('&', rest.Append("_cursor=" + hits[^1].Seq.ToString(CultureInfo.InvariantCulture)))}"));
        }

        var bundle = new SearchResultBundle { Type = Bundle.BundleType.Searchset, Links = links, Entries = hits.Select(ToVersion).ToList() };
        await FhirResponses.WriteBundleAsync(http, bundle, baseUrl, http.RequestAborted);
    }

    private static ResourceVersion ToVersion(AuditHit hit) => new(AuditChain.ResourceType, hit.Id, 1, hit.Recorded, false, "POST", hit.Payload);

    /// <summary>The standard AuditEvent parameters: values ORed within a parameter, parameters ANDed.</summary>
    public static AuditQuery Parse(IReadOnlyList<KeyValuePair<string, string>> parameters, CarelakeOptions options, bool strict)
    {
        var keys = new List<(string, IReadOnlyList<string>)>();
        long? from = null;
        long? to = null;
        var count = options.DefaultPageSize;
        var oldestFirst = false;
        long? cursor = null;
        foreach (var (name, value) in parameters)
        {
            if (KeyParameters.Contains(name, StringComparer.Ordinal))
            {
                keys.Add((name, value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Normalise(name, v)).ToList()));
            }
            else if (name == "date")
            {
                var (low, high) = DateBounds(value);
                from = low is null ? from : Math.Max(from ?? long.MinValue, low.Value);
                to = high is null ? to : Math.Min(to ?? long.MaxValue, high.Value);
            }
            else if (name == "_count")
            {
                count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, options.MaxPageSize) : throw FhirException.BadRequest("_count must be a whole number.");
            }
            else if (name == "_sort")
            {
                oldestFirst = value switch
                {
                    "date" or "_lastUpdated" => true,
                    "-date" or "-_lastUpdated" => false,
                    _ => throw FhirException.BadRequest("AuditEvent sorts by date or -date (the default)."),
                };
            }
            else if (name == "_cursor")
            {
                cursor = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : throw FhirException.BadRequest("_cursor is not valid.");
            }
            else if (strict && !name.StartsWith('_'))
            {
                throw FhirException.BadRequest($"AuditEvent does not support the search parameter '{name}' (supported: {string.Join(", ", KeyParameters)}, date).");
            }
        }

        return new AuditQuery(keys, from, to, count, oldestFirst, oldestFirst ? cursor : null) { Before = oldestFirst ? null : cursor };
    }

    private static string Normalise(string name, string value)
    {
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        if (name is "type" or "subtype" or "action" or "outcome")
        {
            return bar < 0 ? value : value[(bar + 1)..];
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            var segments = absolute.AbsolutePath.Trim('/').Split('/');
            value = segments.Length >= 2 ? $"{segments[^2]}/{segments[^1]}" : value;
        }

        return name == "patient" && !value.StartsWith("Patient/", StringComparison.Ordinal) ? "Patient/" + value : value;
    }

    private static (long? Low, long? High) DateBounds(string value)
    {
        var prefix = value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]) ? value[..2] : "eq";
        var text = prefix == "eq" && !value.StartsWith("eq", StringComparison.Ordinal) ? value : value[2..];
        if (!FhirDateRange.TryParse(text, out var range))
        {
            throw FhirException.BadRequest($"'{value}' is not a FHIR date for the date parameter.");
        }

        return prefix switch
        {
            "eq" => (range.Low, range.High),
            "ge" => (range.Low, null),
            "gt" or "sa" => (range.High + 1, null),
            "le" => (null, range.High),
            "lt" or "eb" => (null, range.Low - 1),
            _ => throw FhirException.BadRequest($"The date prefix '{prefix}' is not supported for AuditEvent."),
        };
    }
}
