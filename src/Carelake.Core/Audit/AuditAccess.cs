using System.Buffers;
using System.Text.Json;
using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Audit;

/// <summary>
/// The facts of a REST access record (read, search, history, operation, failed request), stored compactly and
/// rendered as the AuditEvent <see cref="AuditRecords.Rest"/> builds only when the trail is read.
/// <para>
/// Why: every read and search is audited, and building and serialising a ≈ 2.4 KB FHIR AuditEvent (plus hashing,
/// journaling and storing it) was most of auditing's cost per request (docs/benchmarks.md, "Audit overhead"). The
/// stored bytes are what the hash chain covers, so tamper evidence is unchanged; the searchable keys are derived from
/// the facts here and checked by <c>audit verify</c> against the keys of the rendered AuditEvent.
/// </para>
/// </summary>
/// <param name="Entities">Resource references (Type/id[/_history/v]) the request touched.</param>
/// <param name="Patients">Ids of the patients whose data was returned.</param>
/// <param name="Query">The method, path and redacted query string (searches and operations).</param>
/// <param name="Observer">The server that recorded it (the host name).</param>
public sealed record AuditAccess(AuditActor Actor, string Subtype, string? Operation, int Status, DateTimeOffset Recorded, IReadOnlyList<string> Entities, IReadOnlyList<string> Patients, string? Query, string Observer)
{
    /// <summary>How a compact payload starts; an AuditEvent stored as FHIR JSON starts with <c>{"resourceType"</c>.</summary>
    private static ReadOnlySpan<byte> Marker => "{\"compact\":1"u8;

    /// <summary>
    /// A record of now, in the form <see cref="AuditRecords.Rest"/> stores: entities distinct (first occurrence
    /// first), patients distinct and sorted, the time truncated to milliseconds (FHIR instants carry no more).
    /// </summary>
    public static AuditAccess Create(AuditActor actor, string subtype, string? operation, int status, DateTimeOffset now, IEnumerable<string> entities, IEnumerable<string> patients, string? query) =>
        new(actor, subtype, operation, status, AuditRecords.ToMilliseconds(now), [.. entities.Distinct(StringComparer.Ordinal)],
            [.. patients.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], string.IsNullOrEmpty(query) ? null : query, AuditRecords.ObserverName);

    public static bool IsCompact(ReadOnlySpan<byte> payload) => payload.StartsWith(Marker);

    /// <summary>The stored write: compact payload and its keys.</summary>
    public ResourceWrite ToWrite() => new(AuditChain.ResourceType, ResourceIds.NewId(), 1, 0, Recorded, "POST", ToCompactJson(), [Keys()]);

    /// <summary>The AuditEvent this record stands for, exactly as <see cref="AuditRecords.Rest"/> and <see cref="AuditRecords.ToWrite(AuditEvent)"/> make it.</summary>
    public AuditEvent ToAuditEvent(string id)
    {
        var audit = AuditRecords.Rest(Actor, Subtype, Operation, Status, Recorded, Entities, Patients, Query, Observer);
        audit.Id = id;
        audit.Meta = new Meta { VersionId = "1", LastUpdated = audit.Recorded };
        return audit;
    }

    /// <summary>The keys <see cref="AuditKeys.From"/> derives from <see cref="ToAuditEvent"/>, without building it.</summary>
    public AuditKeys Keys()
    {
        var keys = new List<(string Kind, string Value)>(Entities.Count + (2 * Patients.Count) + 7)
        {
            ("type", "rest"),
            ("subtype", Subtype),
            ("action", AuditRecords.ActionOf(Subtype).ToString()),
            ("outcome", AuditKeys.OutcomeCode(AuditRecords.OutcomeOf(Status))),
            ("agent", Actor.Who),
        };
        if (Operation is not null)
        {
            keys.Add(("subtype", Operation));
        }

        if (Actor.ClientId is not null)
        {
            keys.Add(("agent", Actor.ClientId));
        }

        foreach (var entity in Entities)
        {
            var plain = AuditKeys.WithoutVersion(entity);
            keys.Add(("entity", plain));
            if (plain.StartsWith("Patient/", StringComparison.Ordinal))
            {
                keys.Add(("patient", plain));
            }
        }

        foreach (var patient in Patients)
        {
            keys.Add(("entity", "Patient/" + patient));
            keys.Add(("patient", "Patient/" + patient));
        }

        keys.Sort(static (a, b) => string.CompareOrdinal(a.Kind, b.Kind) is var kind and not 0 ? kind : string.CompareOrdinal(a.Value, b.Value));
        var distinct = new List<(string, string)>(keys.Count);
        foreach (var key in keys)
        {
            if (distinct.Count == 0 || distinct[^1] != key)
            {
                distinct.Add(key);
            }
        }

        return new AuditKeys(Recorded.UtcTicks, distinct);
    }

    public byte[] ToCompactJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (40 * Patients.Count) + (Query?.Length ?? 0));
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = FhirSerialization.StrictJson.Encoder, SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("compact"u8, 1);
            json.WriteString("subtype"u8, Subtype);
            WriteOptional(json, "operation"u8, Operation);
            json.WriteNumber("status"u8, Status);
            json.WriteNumber("recorded"u8, Recorded.UtcTicks);
            json.WriteString("who"u8, Actor.Who);
            WriteOptional(json, "role"u8, Actor.Role);
            WriteOptional(json, "client"u8, Actor.ClientId);
            WriteOptional(json, "address"u8, Actor.NetworkAddress);
            WriteOptional(json, "patientContext"u8, Actor.PatientContext);
            WriteArray(json, "purpose"u8, Actor.PurposeOfUse);
            json.WriteString("observer"u8, Observer);
            WriteArray(json, "entities"u8, Entities);
            WriteArray(json, "patients"u8, Patients);
            WriteOptional(json, "query"u8, Query);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a compact payload back; throws <see cref="FormatException"/> when it is not one.</summary>
    public static AuditAccess Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject);
            string? subtype = null, operation = null, who = null, role = null, client = null, address = null, context = null, observer = null, query = null;
            int? status = null;
            long? recorded = null;
            List<string> purpose = [], entities = [], patients = [];
            var version = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                Expect(reader.Read());
                switch (name)
                {
                    case "compact": version = reader.GetInt32(); break;
                    case "subtype": subtype = reader.GetString(); break;
                    case "operation": operation = reader.GetString(); break;
                    case "status": status = reader.GetInt32(); break;
                    case "recorded": recorded = reader.GetInt64(); break;
                    case "who": who = reader.GetString(); break;
                    case "role": role = reader.GetString(); break;
                    case "client": client = reader.GetString(); break;
                    case "address": address = reader.GetString(); break;
                    case "patientContext": context = reader.GetString(); break;
                    case "purpose": purpose = ReadArray(ref reader); break;
                    case "observer": observer = reader.GetString(); break;
                    case "entities": entities = ReadArray(ref reader); break;
                    case "patients": patients = ReadArray(ref reader); break;
                    case "query": query = reader.GetString(); break;
                    default: throw new FormatException($"Unknown property '{name}' in a compact audit record.");
                }
            }

            Expect(reader.TokenType == JsonTokenType.EndObject && !reader.Read() && version == 1);
            return new AuditAccess(
                new AuditActor(who ?? throw new FormatException("A compact audit record names no actor."), role, client, address, context, purpose),
                subtype ?? throw new FormatException("A compact audit record has no subtype."),
                operation,
                status ?? throw new FormatException("A compact audit record has no status."),
                new DateTimeOffset(recorded ?? throw new FormatException("A compact audit record has no time."), TimeSpan.Zero),
                entities,
                patients,
                query,
                observer ?? throw new FormatException("A compact audit record names no observer."));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException("Not a compact audit record.", e);
        }
    }

    private static void Expect(bool condition)
    {
        if (!condition)
        {
            throw new FormatException("Not a compact audit record.");
        }
    }

    private static List<string> ReadArray(ref Utf8JsonReader reader)
    {
        Expect(reader.TokenType == JsonTokenType.StartArray);
        var values = new List<string>();
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            values.Add(reader.GetString()!);
        }

        Expect(reader.TokenType == JsonTokenType.EndArray);
        return values;
    }

    private static void WriteOptional(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteArray(Utf8JsonWriter json, ReadOnlySpan<byte> name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
