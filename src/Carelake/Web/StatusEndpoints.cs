using System.Text.Json.Nodes;
using Carelake.Core.Security;
using Carelake.Hosting;
using Carelake.Security;

namespace Carelake.Web;

/// <summary>
/// GET /api/status for the administrator's status page: version, storage provider, mode and the recent background
/// jobs with their progress. Counts per resource type come from the FHIR API itself (_summary=count), so they are
/// authorised like any other search. Holds no patient data, and is still for administrators only (it names the
/// storage and the jobs).
/// </summary>
internal static class StatusEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/api/status", async (HttpContext http, CarelakeServices services, CarelakeOptions options, CancellationToken cancellationToken) =>
        {
            AccessGuard.RequireAdministrator(FhirAccess.Of(http), "System status");
            var jobs = new JsonArray();
            foreach (var job in await services.Jobs.ListAsync(50, cancellationToken))
            {
                jobs.Add(new JsonObject
                {
                    ["id"] = job.Id,
                    ["kind"] = job.Kind,
                    ["status"] = job.Status,
                    ["processed"] = job.Processed,
                    ["total"] = job.Total,
                    ["created"] = job.Created,
                    ["updated"] = job.Updated,
                    ["error"] = job.Error,
                });
            }

            // The audit trail is not counted by a search (AuditEvent has its own access rules, and a count would itself be
            // audited): the chain head's position is the number of records written (retention may since have removed some).
            var head = await services.AuditLog.HeadAsync(cancellationToken);
            var status = new JsonObject
            {
                ["software"] = "Carelake",
                ["version"] = typeof(StatusEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.1.0",
                ["fhirVersion"] = "4.0.1",
                ["storage"] = options.Database.IsPostgres ? "PostgreSQL" : "SQLite",
                ["dev"] = options.Dev,
                ["basePath"] = options.BasePath,
                ["auditRecordsWritten"] = head?.Seq ?? 0,
                ["jobs"] = jobs,
            };
            return Results.Text(status.ToJsonString(), "application/json");
        });
    }
}
