using Carelake.Core.Fhir;
using Carelake.Core.Jobs;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Carelake.Core.Security;
using Carelake.Http;
using Carelake.Security;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Endpoints;

/// <summary>
/// $reindex (system and type level) and the status of asynchronous jobs, following the FHIR asynchronous pattern:
/// 202 Accepted with Content-Location to poll; 202 with X-Progress while running; 200 with the outcome when done.
/// </summary>
internal static class JobEndpoints
{
    public static void Map(RouteGroupBuilder fhir, string basePath)
    {
        fhir.MapPost("/$reindex", (HttpContext http, CarelakeServices services, JobRunner runner) => StartAsync(http, services, runner, [], basePath));
        fhir.MapPost("/{type}/$reindex", (HttpContext http, string type, CarelakeServices services, JobRunner runner) =>
        {
            FhirContext.CheckType(type);
            return StartAsync(http, services, runner, [type], basePath);
        });
        fhir.MapGet("/_job/{id}", async (HttpContext http, string id, CarelakeServices services) =>
        {
            AccessGuard.RequireAdministrator(FhirAccess.Of(http), "Job status");
            FhirFormats.ForResponse(http.Request);
            var job = await services.Jobs.GetAsync(id, http.RequestAborted) ?? throw FhirException.NotFound($"There is no job {id}.");
            var progress = job.Total is > 0 ? $"{job.Processed} of {job.Total} resources ({100.0 * job.Processed / job.Total.Value:F0}%)" : $"{job.Processed} resources";
            if (job.Status is JobRecord.Queued or JobRecord.Running)
            {
                http.Response.Headers["X-Progress"] = $"{job.Status}: {progress}";
                http.Response.Headers.RetryAfter = "2";
            }

            var result = new Parameters();
            result.Add("id", new FhirString(job.Id));
            result.Add("kind", new Code(job.Kind));
            result.Add("status", new Code(job.Status));
            result.Add("processed", new UnsignedInt((int)Math.Min(job.Processed, int.MaxValue)));
            if (job.Total is { } total)
            {
                result.Add("total", new UnsignedInt((int)Math.Min(total, int.MaxValue)));
            }

            result.Add("created", new Instant(job.Created));
            result.Add("updated", new Instant(job.Updated));
            if (job.Error is { } error)
            {
                result.Add("error", new FhirString(error));
            }

            await FhirResponses.WritePocoAsync(http, result, job.Status is JobRecord.Queued or JobRecord.Running ? 202 : 200, http.RequestAborted);
        });
    }

    private static async Task StartAsync(HttpContext http, CarelakeServices services, JobRunner runner, IReadOnlyList<string> types, string basePath)
    {
        AccessGuard.RequireAdministrator(FhirAccess.Of(http), "$reindex");
        FhirFormats.ForResponse(http.Request);
        var job = await services.Jobs.EnqueueAsync(ReindexJob.Kind, ReindexJob.Request(types), http.RequestAborted);
        runner.Notify();
        http.Response.Headers.ContentLocation = $"{FhirContext.BaseUrl(http, basePath)}/_job/{job.Id}";
        await FhirResponses.WritePocoAsync(http, Outcomes.Information(
            $"Reindex job {job.Id} queued for {(types.Count == 0 ? "all resource types" : string.Join(", ", types))}; poll Content-Location for progress."), 202, http.RequestAborted);
    }
}
