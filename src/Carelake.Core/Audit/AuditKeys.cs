using Carelake.Core.Search;
using Hl7.Fhir.Model;

namespace Carelake.Core.Audit;

/// <summary>
/// The searchable keys of an audit record (kind, value): patient, entity, agent, type, subtype, action, outcome.
/// Derived from the AuditEvent only, so <c>audit verify</c> derives them again from the hashed payload and
/// detects keys altered to hide a record from a query.
/// </summary>
public sealed record AuditKeys(long Recorded, IReadOnlyList<(string Kind, string Value)> Keys) : IndexValue(0)
{
    public static AuditKeys From(AuditEvent audit)
    {
        var keys = new HashSet<(string, string)>();
        if (audit.Type?.Code is { } type)
        {
            keys.Add(("type", type));
        }

        foreach (var subtype in audit.Subtype)
        {
            if (subtype.Code is { } code)
            {
                keys.Add(("subtype", code));
            }
        }

        if (audit.Action is { } action)
        {
            keys.Add(("action", action.ToString()));
        }

        if (audit.Outcome is { } outcome)
        {
            keys.Add(("outcome", OutcomeCode(outcome)));
        }

        foreach (var agent in audit.Agent)
        {
            if (agent.Who?.Reference is { } reference)
            {
                keys.Add(("agent", reference));
                AddPatient(keys, reference);
            }
            else if (agent.Who?.Identifier?.Value is { } identifier)
            {
                keys.Add(("agent", identifier));
            }
        }

        foreach (var entity in audit.Entity)
        {
            if (entity.What?.Reference is { } reference)
            {
                var plain = WithoutVersion(reference);
                keys.Add(("entity", plain));
                AddPatient(keys, plain);
            }
        }

        return new AuditKeys(audit.Recorded?.UtcTicks ?? 0, keys.OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2, StringComparer.Ordinal).ToList());
    }

    public static string OutcomeCode(AuditEvent.AuditEventOutcome outcome) => outcome switch
    {
        AuditEvent.AuditEventOutcome.N0 => "0",
        AuditEvent.AuditEventOutcome.N4 => "4",
        AuditEvent.AuditEventOutcome.N8 => "8",
        _ => "12",
    };

    public static string WithoutVersion(string reference)
    {
        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        return history < 0 ? reference : reference[..history];
    }

    private static void AddPatient(HashSet<(string, string)> keys, string reference)
    {
        if (reference.StartsWith("Patient/", StringComparison.Ordinal))
        {
            keys.Add(("patient", reference));
        }
    }
}
