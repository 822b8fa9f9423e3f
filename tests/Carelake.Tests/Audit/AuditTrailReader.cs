using Carelake.Core.Audit;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Carelake.Tests.Audit;

/// <summary>Reads the audit trail of a test server as stored (no HTTP: reading it through the API would itself be audited).</summary>
public static class AuditTrailReader
{
    public static async Task<long> HeadAsync(TestServer server) =>
        (await server.Services.AuditLog.HeadAsync(CancellationToken.None))?.Seq ?? 0;

    public static async Task<IReadOnlyList<AuditEvent>> AfterAsync(TestServer server, long seq)
    {
        var hits = await server.Services.AuditLog.SearchAsync(new AuditQuery([], null, null, 1000, OldestFirst: true, After: seq), CancellationToken.None);
        return hits.Select(h => System.Text.Json.JsonSerializer.Deserialize<AuditEvent>(h.Payload, Http.Fhir.Options)!).ToList();
    }

    public static IReadOnlyList<string?> References(AuditEvent audit) => audit.Entity.Select(e => e.What?.Reference).ToList();
}
