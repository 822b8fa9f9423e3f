using Hl7.Fhir.Model;

namespace Carelake.Audit;

/// <summary>What the CapabilityStatement says about AuditEvent: written by the server only, read and searched with the parameters the audit store indexes.</summary>
internal static class AuditCapability
{
    private static readonly string[] Parameters = ["patient", "entity", "agent", "type", "subtype", "action", "outcome", "date"];

    public static void Restrict(CapabilityStatement.ResourceComponent resource)
    {
        resource.Interaction =
        [
            new() { Code = CapabilityStatement.TypeRestfulInteraction.Read },
            new() { Code = CapabilityStatement.TypeRestfulInteraction.Vread },
            new() { Code = CapabilityStatement.TypeRestfulInteraction.SearchType },
        ];
        resource.Versioning = CapabilityStatement.ResourceVersionPolicy.NoVersion;
        resource.ReadHistory = false;
        resource.UpdateCreate = false;
        resource.ConditionalCreate = false;
        resource.ConditionalUpdate = false;
        resource.ConditionalRead = CapabilityStatement.ConditionalReadStatus.NotSupported;
        resource.ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported;
        resource.SearchParam = resource.SearchParam.Where(p => Parameters.Contains(p.Name, StringComparer.Ordinal)).ToList();
        resource.Documentation = new Markdown("Written by the server only (IHE BALP); readable by administrators and auditors; see docs/audit.md.");
    }
}
