using Carelake.Core.Audit;
using Carelake.Core.Fhir;
using Carelake.Core.Security;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Carelake.Http;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http.Features;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Audit;

/// <summary>
/// The guarantee (docs/audit.md): no response of an audited request leaves the server before its audit record is
/// committed. Writes commit their record in their own transaction (<see cref="AuditingResourceStore"/>); for every
/// other outcome (reads, searches, operations, failures, security events) the response is held in memory, the
/// record is committed, and only then is the response sent. If the record cannot be stored, the client gets a 503
/// instead of the data.
/// </summary>
public sealed partial class AuditMiddleware(RequestDelegate next, CarelakeOptions options, AuditTrail trail, TimeProvider time, ILogger<AuditMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var audited = trail.Enabled ? AuditClassifier.Classify(http.Request.Method, http.Request.Path.Value ?? "/", options.BasePath) : null;
        if (audited is null)
        {
            await next(http);
            return;
        }

        var scope = new AuditScope(() => ActorOf(http), audited.Subtype) { Operation = audited.Operation };
        AuditScope.Current = scope;
        var original = http.Features.Get<IHttpResponseBodyFeature>()!;
        await using var buffer = new MemoryStream();
        var held = new StreamResponseBodyFeature(buffer, original);
        http.Features.Set<IHttpResponseBodyFeature>(held);
        var failed = false;
        try
        {
            await next(http);
            await held.CompleteAsync();
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            http.Features.Set(original);
            AuditScope.Current = null;
            if (failed)
            {
                await TryRecordAsync(http, audited, scope, 500);
            }
        }

        var status = http.Response.StatusCode;
        // A Bundle that wrote (records committed with its writes) and also read (GET entries) gets one more record
        // for what it returned: the write records name only the versions written.
        if (scope.Recorded == 0 || status >= 400 || (audited.Subtype == "transaction" && scope.Returned().Count > 0))
        {
            if (!await TryRecordAsync(http, audited, scope, status))
            {
                http.Response.Clear();
                await FhirResponses.WritePocoAsync(http, Outcomes.Error(OperationOutcome.IssueType.Transient, "The audit trail could not record this request, so its result is withheld; retry later."), 503, http.RequestAborted);
                return;
            }
        }

        if (buffer.Length > 0)
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(original.Stream, http.RequestAborted);
        }
    }

    private async Task<bool> TryRecordAsync(HttpContext http, AuditClass audited, AuditScope scope, int status)
    {
        try
        {
            await trail.RecordAsync(await BuildAsync(http, audited, scope, status), CancellationToken.None);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAuditFailed(logger, http.TraceIdentifier, e);
            return false;
        }
    }

    private async Task<ResourceWrite> BuildAsync(HttpContext http, AuditClass audited, AuditScope scope, int status)
    {
        var now = time.GetUtcNow();
        if (audited.SecurityType is { } security)
        {
            var actor = scope.Actor;
            if (audited.Subtype == "login" && http.Request.HasFormContentType)
            {
                // A sign-in has no token yet: the account named in the form is the actor (an identifier, not a name).
                var form = await http.Request.ReadFormAsync(CancellationToken.None);
                actor = actor with { Who = form["username"].ToString() is { Length: > 0 } user ? "login:" + user : actor.Who };
            }
            else if (audited.Subtype == "token-issue" && http.Request.HasFormContentType)
            {
                var form = await http.Request.ReadFormAsync(CancellationToken.None);
                actor = actor with { ClientId = actor.ClientId ?? NullIfEmpty(form["client_id"].ToString()) };
            }

            // A sign-in succeeds with a redirect; the other security endpoints with 2xx.
            var effective = audited.Subtype == "login" && status is 302 or 303 ? 200 : status;
            return AuditRecords.ToWrite(AuditRecords.Security(actor, security.Code, security.Display, audited.Subtype, effective, now, audited.Entity));
        }

        var patients = new HashSet<string>(StringComparer.Ordinal);
        if (audited.Patient is not null)
        {
            patients.Add(audited.Patient);
        }

        var entities = new List<string>();
        if (audited.Entity is not null)
        {
            entities.Add(audited.Entity);
        }

        var returned = scope.Returned();
        foreach (var version in returned)
        {
            PatientReferences.Collect(version.Type, version.Id, version.Json, patients);
        }

        if (audited.Subtype == "transaction")
        {
            // Each resource a Bundle's GET entries returned is an entity of the record (BALP: the data accessed).
            entities.AddRange(returned.Select(v => $"{v.Type}/{v.Id}/_history/{v.Version}"));
        }

        if (audited.Subtype is "read" or "vread" && returned.Count == 1)
        {
            entities.Clear();
            entities.Add($"{returned[0].Type}/{returned[0].Id}/_history/{returned[0].Version}");
        }

        var query = audited.Subtype.StartsWith("search", StringComparison.Ordinal) || audited.Subtype == "operation"
            ? $"{http.Request.Method} {http.Request.Path}{QueryRedaction.Redact(http.Request.QueryString.Value ?? string.Empty)}"
            : null;
        if (audited.Subtype.StartsWith("search", StringComparison.Ordinal) && audited.ResourceType is { } type)
        {
            entities.Add(type);
        }

        return AuditAccess.Create(scope.Actor, audited.Subtype, audited.Operation, status, now, entities.Where(e => e.Contains('/', StringComparison.Ordinal)), patients, query).ToWrite();
    }

    private AuditActor ActorOf(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress?.ToString();
        var purpose = http.Request.Headers["X-Purpose-Of-Use"].Where(v => !string.IsNullOrWhiteSpace(v)).SelectMany(v => v!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        // FhirAccess put the request's access context in Items (its key is its own business: found by type).
        var access = http.Items.Values.OfType<AccessContext>().FirstOrDefault();
        if (access is null)
        {
            return new AuditActor(options.Dev ? AuditActor.DevUser : "unauthenticated", null, null, address, null, purpose);
        }

        if (access.IsUnrestricted)
        {
            return new AuditActor(options.Dev ? AuditActor.DevUser : "admin-token", access.Role, null, address, null, purpose);
        }

        var who = access.Subject ?? (access.ClientId is null ? "unknown" : "client:" + access.ClientId);
        return new AuditActor(who, access.Role, access.ClientId, address, access.PatientId, purpose);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "The audit record of a request could not be stored; its response is withheld [{CorrelationId}]")]
    private static partial void LogAuditFailed(ILogger logger, string correlationId, Exception exception);
}
