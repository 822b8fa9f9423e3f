using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Audit;

/// <summary>
/// Builds AuditEvents after IHE Basic Audit Log Patterns (BALP): type/subtype, action, outcome, agent (user, client
/// app, network address, purpose of use), source (this server), entity (resource, patient, query). Only identifiers:
/// no resource content, names or free text from the request (the query string is kept, as BALP asks).
/// </summary>
public static class AuditRecords
{
    public const string RestfulInteraction = "http://hl7.org/fhir/restful-interaction";
    public const string OperationSystem = "http://carelake.dev/fhir/CodeSystem/operation";
    public const string UserSystem = "http://carelake.dev/fhir/sid/user";
    public const string ClientSystem = "http://carelake.dev/fhir/sid/client";
    private const string EventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    private const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    private const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    private const string EntityRole = "http://terminology.hl7.org/CodeSystem/object-role";
    private const string Lifecycle = "http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle";

    /// <summary>A FHIR REST interaction (or operation) and what it touched.</summary>
    /// <param name="observer">The server that records it (default: this host); <see cref="AuditAccess"/> renders stored records with theirs.</param>
    public static AuditEvent Rest(AuditActor actor, string subtype, string? operation, int status, DateTimeOffset now, IEnumerable<string> entities, IEnumerable<string> patients, string? query, string? observer = null)
    {
        var audit = New(actor, new Coding(EventType, "rest", "Restful Operation"), ActionOf(subtype), status, now, observer);
        audit.Subtype.Add(new Coding(RestfulInteraction, subtype));
        if (operation is not null)
        {
            audit.Subtype.Add(new Coding(OperationSystem, operation));
        }

        foreach (var entity in entities.Distinct(StringComparer.Ordinal))
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(entity),
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(EntityRole, "4", "Domain Resource"),
            });
        }

        AddPatients(audit, patients);
        if (!string.IsNullOrEmpty(query))
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(EntityRole, "24", "Query"),
                Query = System.Text.Encoding.UTF8.GetBytes(query),
            });
        }

        return audit;
    }

    /// <summary>The writes of one committed unit: one record, one entity per version written.</summary>
    public static AuditEvent Writes(AuditActor actor, string subtype, string? operation, IReadOnlyList<ResourceWrite> writes, DateTimeOffset now)
    {
        var audit = New(actor, new Coding(EventType, "rest", "Restful Operation"), ActionOf(subtype), 200, now);
        audit.Subtype.Add(new Coding(RestfulInteraction, subtype));
        if (operation is not null)
        {
            audit.Subtype.Add(new Coding(OperationSystem, operation));
        }

        var patients = new HashSet<string>(StringComparer.Ordinal);
        foreach (var write in writes)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference($"{write.Type}/{write.Id}/_history/{write.Version}"),
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(EntityRole, "4", "Domain Resource"),
                Lifecycle = write.Json is null ? new Coding(Lifecycle, "14", "Logical Deletion")
                    : write.Version == 1 ? new Coding(Lifecycle, "1", "Origination / Creation")
                    : new Coding(Lifecycle, "3", "Amendment"),
            });
            PatientReferences.Collect(write.Type, write.Id, write.Json, patients);
        }

        AddPatients(audit, patients);
        return audit;
    }

    /// <summary>Security events (login, token issue and revocation, break-glass, user/client/configuration changes).</summary>
    public static AuditEvent Security(AuditActor actor, string code, string display, string subtype, int status, DateTimeOffset now, string? entity)
    {
        var audit = New(actor, new Coding(Dicom, code, display), AuditEvent.AuditEventAction.E, status, now);
        audit.Subtype.Add(new Coding(OperationSystem, subtype));
        if (entity is not null)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent { What = new ResourceReference { Display = entity }, Type = new Coding(EntityType, "2", "System Object") });
        }

        return audit;
    }

    /// <summary>A stored write of an audit record, with its searchable keys; never indexed like a resource.</summary>
    public static ResourceWrite ToWrite(AuditEvent audit)
    {
        audit.Id ??= ResourceIds.NewId();
        audit.Meta = new Meta { VersionId = "1", LastUpdated = audit.Recorded };
        var json = AuditEventJson.Serialize(audit);
        return new ResourceWrite(AuditChain.ResourceType, audit.Id, 1, 0, audit.Recorded ?? DateTimeOffset.UtcNow, "POST", json, [AuditKeys.From(audit)]);
    }

    /// <summary>The source observer's identifier: this host.</summary>
    public static string ObserverName { get; } = Environment.MachineName;

    /// <summary>FHIR instants carry milliseconds at most: the recorded time is truncated to them.</summary>
    public static DateTimeOffset ToMilliseconds(DateTimeOffset now) => new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    public static AuditEvent.AuditEventAction ActionOf(string subtype) => subtype switch
    {
        "read" or "vread" or "history-instance" or "history-type" or "history-system" => AuditEvent.AuditEventAction.R,
        "create" => AuditEvent.AuditEventAction.C,
        "update" or "patch" => AuditEvent.AuditEventAction.U,
        "delete" => AuditEvent.AuditEventAction.D,
        _ => AuditEvent.AuditEventAction.E,
    };

    public static AuditEvent.AuditEventOutcome OutcomeOf(int status) => status switch
    {
        < 400 => AuditEvent.AuditEventOutcome.N0,
        < 500 => AuditEvent.AuditEventOutcome.N4,
        _ => AuditEvent.AuditEventOutcome.N8,
    };

    private static AuditEvent New(AuditActor actor, Coding type, AuditEvent.AuditEventAction action, int status, DateTimeOffset now, string? observer = null)
    {
        now = ToMilliseconds(now);
        var user = new AuditEvent.AgentComponent
        {
            Requestor = true,
            Who = new ResourceReference { Identifier = new Identifier(UserSystem, actor.Who), Display = actor.Who },
            Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient"),
            Role = actor.Role is null ? [] : [new CodeableConcept("http://carelake.dev/fhir/CodeSystem/role", actor.Role)],
            Network = actor.NetworkAddress is null ? null : new AuditEvent.NetworkComponent { Address = actor.NetworkAddress, Type = AuditEvent.AuditEventAgentNetworkType.N2 },
            PurposeOfUse = actor.PurposeOfUse.Select(p => new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActReason", p)).ToList(),
        };
        var audit = new AuditEvent
        {
            Type = type,
            Action = action,
            Recorded = now,
            Outcome = OutcomeOf(status),
            OutcomeDesc = status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Agent = [user],
            Source = new AuditEvent.SourceComponent
            {
                Site = "Carelake",
                Observer = new ResourceReference { Display = "Carelake FHIR server", Identifier = new Identifier("http://carelake.dev/fhir/sid/server", observer ?? ObserverName) },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
            PurposeOfEvent = actor.PurposeOfUse.Select(p => new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActReason", p)).ToList(),
        };
        if (actor.ClientId is not null)
        {
            audit.Agent.Add(new AuditEvent.AgentComponent
            {
                Requestor = false,
                Who = new ResourceReference { Identifier = new Identifier(ClientSystem, actor.ClientId), Display = actor.ClientId },
                Type = new CodeableConcept(Dicom, "110150", "Application"),
            });
        }

        return audit;
    }

    private static void AddPatients(AuditEvent audit, IEnumerable<string> patients)
    {
        foreach (var patient in patients.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference($"Patient/{patient}"),
                Type = new Coding(EntityType, "1", "Person"),
                Role = new Coding(EntityRole, "1", "Patient"),
            });
        }
    }
}
