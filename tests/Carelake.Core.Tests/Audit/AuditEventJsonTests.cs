using Carelake.Core.Audit;
using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Tests.Audit;

/// <summary>The hand-written AuditEvent writer must produce exactly the general serializer's bytes (the chain hashes them).</summary>
public sealed class AuditEventJsonTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 7, 12, 34, 120, TimeSpan.Zero);

    public static TheoryData<string> Cases() => [.. Records().Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Writes_the_same_bytes_as_the_general_serializer(string name)
    {
        var audit = Records()[name];
        audit.Id = "0a1b2c3d";
        audit.Meta = new Meta { VersionId = "1", LastUpdated = audit.Recorded };

        var fast = AuditEventJson.Serialize(audit);
        var general = FhirSerialization.ToJsonBytes(audit);

        Assert.Equal(System.Text.Encoding.UTF8.GetString(general), System.Text.Encoding.UTF8.GetString(fast));
    }

    [Fact]
    public void A_shape_it_does_not_write_goes_to_the_general_serializer()
    {
        var audit = Records()["read"];
        audit.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" };

        Assert.Equal(FhirSerialization.ToJsonBytes(audit), AuditEventJson.Serialize(audit));
    }

    [Fact]
    public void The_stored_record_parses_back_to_the_same_event_and_keys()
    {
        var write = AuditRecords.ToWrite(Records()["search with patients and query"]);
        var parsed = (AuditEvent)FhirSerialization.ParseJson(write.Json);

        Assert.Equal(write.Indexes.OfType<AuditKeys>().Single().Keys, AuditKeys.From(parsed).Keys);
    }

    private static Dictionary<string, AuditEvent> Records()
    {
        var plain = new AuditActor("user-1", null, null, null, null, []);
        var full = new AuditActor("practitioner/ü \"quoted\" <tag> & +1", "clinician", "app+client", "10.0.0.7", "p1", ["TREAT", "ETREAT"]);
        var writes = new List<ResourceWrite>
        {
            new("Patient", "p1", 1, 0, Now, "POST", """{"resourceType":"Patient","id":"p1"}"""u8.ToArray(), []),
            new("Observation", "o1", 3, 2, Now, "PUT", """{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p2"}}"""u8.ToArray(), []),
            new("Observation", "o2", 2, 1, Now, "DELETE", null, []),
        };
        return new Dictionary<string, AuditEvent>
        {
            ["read"] = AuditRecords.Rest(plain, "read", null, 200, Now, ["Patient/p1/_history/2"], ["p1"], null),
            ["search with patients and query"] = AuditRecords.Rest(full, "search-type", null, 200, Now, ["Observation/o1/_history/1"], ["p2", "p1", "p10"], "GET /fhir/Observation?code=1234-5&name=sha256:0011223344556677&_count=10"),
            ["operation failed"] = AuditRecords.Rest(full, "operation", "everything", 503, Now, [], ["p1"], "GET /fhir/Patient/p1/$everything"),
            ["forbidden"] = AuditRecords.Rest(plain, "vread", null, 403, Now.AddTicks(1), [], [], null),
            ["writes"] = AuditRecords.Writes(full, "transaction", null, writes, Now),
            ["login"] = AuditRecords.Security(plain, "110114", "User Authentication", "login", 401, Now, null),
            ["admin change"] = AuditRecords.Security(AuditActor.Cli, "110137", "User Security Attributes Changed", "admin-change", 200, Now, "user alice disabled"),
        };
    }
}
