using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Audit;

/// <summary>
/// A stored audit payload is either an AuditEvent in FHIR JSON (writes, security events) or a compact access record
/// (<see cref="AuditAccess"/>); readers of the trail see AuditEvents either way.
/// </summary>
public static class AuditPayload
{
    public static AuditEvent ToAuditEvent(string id, byte[] payload) => AuditAccess.IsCompact(payload)
        ? AuditAccess.Parse(payload).ToAuditEvent(id)
        : (AuditEvent)FhirSerialization.ParseStored(payload);

    /// <summary>The AuditEvent's FHIR JSON: stored FHIR JSON as it is, a compact record rendered.</summary>
    public static byte[] ToJson(string id, byte[] payload) => AuditAccess.IsCompact(payload)
        ? AuditEventJson.Serialize(AuditAccess.Parse(payload).ToAuditEvent(id))
        : payload;
}
