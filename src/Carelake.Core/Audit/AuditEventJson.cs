using System.Buffers;
using System.Text.Json;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Carelake.Core.Audit;

/// <summary>
/// Writes the AuditEvents <see cref="AuditRecords"/> builds straight to JSON, byte for byte what the Firely serializer
/// writes (AuditEventJsonTests compares them). Every read and search is audited, and the general serializer's
/// reflection walk over the model was the largest part of a record's cost. Anything outside the shapes written here
/// goes to the general serializer.
/// </summary>
public static class AuditEventJson
{
    public static byte[] Serialize(AuditEvent audit)
    {
        if (!Supported(audit))
        {
            return FhirSerialization.ToJsonBytes(audit);
        }

        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = FhirSerialization.StrictJson.Encoder, SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteString("resourceType"u8, "AuditEvent"u8);
            WriteOptional(json, "id"u8, audit.Id);
            if (audit.Meta is { } meta)
            {
                json.WriteStartObject("meta"u8);
                WriteOptional(json, "versionId"u8, meta.VersionId);
                if (meta.LastUpdated is { } lastUpdated)
                {
                    json.WriteString("lastUpdated"u8, Instant(lastUpdated));
                }

                json.WriteEndObject();
            }

            Property(json, "type"u8, audit.Type, Coding);

            Codings(json, "subtype"u8, audit.Subtype);
            if (audit.Action is { } action)
            {
                json.WriteString("action"u8, action.GetLiteral());
            }

            if (audit.Recorded is { } recorded)
            {
                json.WriteString("recorded"u8, Instant(recorded));
            }

            if (audit.Outcome is { } outcome)
            {
                json.WriteString("outcome"u8, outcome.GetLiteral());
            }

            WriteOptional(json, "outcomeDesc"u8, audit.OutcomeDesc);
            Concepts(json, "purposeOfEvent"u8, audit.PurposeOfEvent);
            if (audit.Agent.Count > 0)
            {
                json.WriteStartArray("agent"u8);
                foreach (var agent in audit.Agent)
                {
                    json.WriteStartObject();
                    Property(json, "type"u8, agent.Type, Concept);

                    Concepts(json, "role"u8, agent.Role);
                    Property(json, "who"u8, agent.Who, Reference);

                    if (agent.Requestor is { } requestor)
                    {
                        json.WriteBoolean("requestor"u8, requestor);
                    }

                    if (agent.Network is { } network)
                    {
                        json.WriteStartObject("network"u8);
                        WriteOptional(json, "address"u8, network.Address);
                        if (network.Type is { } networkType)
                        {
                            json.WriteString("type"u8, networkType.GetLiteral());
                        }

                        json.WriteEndObject();
                    }

                    Concepts(json, "purposeOfUse"u8, agent.PurposeOfUse);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            if (audit.Source is { } source)
            {
                json.WriteStartObject("source"u8);
                WriteOptional(json, "site"u8, source.Site);
                Property(json, "observer"u8, source.Observer, Reference);

                Codings(json, "type"u8, source.Type);
                json.WriteEndObject();
            }

            if (audit.Entity.Count > 0)
            {
                json.WriteStartArray("entity"u8);
                foreach (var entity in audit.Entity)
                {
                    json.WriteStartObject();
                    Property(json, "what"u8, entity.What, Reference);

                    Property(json, "type"u8, entity.Type, Coding);

                    Property(json, "role"u8, entity.Role, Coding);

                    Property(json, "lifecycle"u8, entity.Lifecycle, Coding);

                    if (entity.Query is { } query)
                    {
                        json.WriteBase64String("query"u8, query);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The shapes written here: no narrative, extensions, contained resources or elements AuditRecords never sets.</summary>
    private static bool Supported(AuditEvent audit) =>
        audit.Text is null && audit.Contained.Count == 0 && audit.Extension.Count == 0 && audit.ModifierExtension.Count == 0
        && audit.ImplicitRules is null && audit.Language is null && audit.Period is null
        && (audit.Meta is null || (audit.Meta.Source is null && !audit.Meta.Profile.Any() && audit.Meta.Security.Count == 0 && audit.Meta.Tag.Count == 0 && audit.Meta.Extension.Count == 0))
        && audit.Agent.TrueForAll(a => a.AltId is null && a.Name is null && a.Location is null && a.PolicyElement.Count == 0 && a.Media is null && a.Extension.Count == 0 && a.ModifierExtension.Count == 0 && Plain(a.Who))
        && audit.Entity.TrueForAll(e => e.SecurityLabel.Count == 0 && e.Name is null && e.Description is null && e.Detail.Count == 0 && e.Extension.Count == 0 && e.ModifierExtension.Count == 0 && Plain(e.What))
        && (audit.Source is null || (audit.Source.Extension.Count == 0 && Plain(audit.Source.Observer)));

    private static bool Plain(ResourceReference? reference) =>
        reference is null || (reference.Extension.Count == 0 && (reference.Identifier is null || (reference.Identifier.Use is null && reference.Identifier.Type is null && reference.Identifier.Period is null && reference.Identifier.Assigner is null)));

    private static string Instant(DateTimeOffset value) => PrimitiveTypeConverter.ConvertTo<string>(value);

    private static void WriteOptional(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void Codings(Utf8JsonWriter json, ReadOnlySpan<byte> name, List<Coding> codings) => Array(json, name, codings, Coding);

    private static void Concepts(Utf8JsonWriter json, ReadOnlySpan<byte> name, List<CodeableConcept> concepts) => Array(json, name, concepts, Concept);

    private static void Property<T>(Utf8JsonWriter json, ReadOnlySpan<byte> name, T? value, Action<Utf8JsonWriter, T> write)
        where T : class
    {
        if (value is not null)
        {
            json.WritePropertyName(name);
            write(json, value);
        }
    }

    private static void Array<T>(Utf8JsonWriter json, ReadOnlySpan<byte> name, List<T> items, Action<Utf8JsonWriter, T> write)
    {
        if (items.Count == 0)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var item in items)
        {
            write(json, item);
        }

        json.WriteEndArray();
    }

    private static void Coding(Utf8JsonWriter json, Coding coding)
    {
        json.WriteStartObject();
        WriteOptional(json, "system"u8, coding.System);
        WriteOptional(json, "version"u8, coding.Version);
        WriteOptional(json, "code"u8, coding.Code);
        WriteOptional(json, "display"u8, coding.Display);
        if (coding.UserSelected is { } selected)
        {
            json.WriteBoolean("userSelected"u8, selected);
        }

        json.WriteEndObject();
    }

    private static void Concept(Utf8JsonWriter json, CodeableConcept concept)
    {
        json.WriteStartObject();
        Codings(json, "coding"u8, concept.Coding);
        WriteOptional(json, "text"u8, concept.Text);
        json.WriteEndObject();
    }

    private static void Reference(Utf8JsonWriter json, ResourceReference reference)
    {
        json.WriteStartObject();
        WriteOptional(json, "reference"u8, reference.Reference);
        WriteOptional(json, "type"u8, reference.Type);
        if (reference.Identifier is { } identifier)
        {
            json.WriteStartObject("identifier"u8);
            WriteOptional(json, "system"u8, identifier.System);
            WriteOptional(json, "value"u8, identifier.Value);
            json.WriteEndObject();
        }

        WriteOptional(json, "display"u8, reference.Display);
        json.WriteEndObject();
    }
}
