using System.Text;
using Carelake.Core.Audit;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Tests.Audit;

/// <summary>
/// Compact access records: what readers of the trail see must be exactly the AuditEvent the full form stored, and
/// the keys written beside a record must be the keys <c>audit verify</c> derives from that AuditEvent.
/// </summary>
public sealed class AuditAccessTests
{
    private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 12, 5, 7, 12, 34, 120, TimeSpan.Zero).AddTicks(4321);

    public static TheoryData<string> Cases() => [.. Records().Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_the_AuditEvent_the_full_form_stores(string name)
    {
        var (access, full) = Records()[name];
        full.Id = "0a1b2c3d";
        full.Meta = new Meta { VersionId = "1", LastUpdated = full.Recorded };

        var stored = access.ToCompactJson();

        Assert.True(AuditAccess.IsCompact(stored));
        Assert.Equal(Encoding.UTF8.GetString(AuditEventJson.Serialize(full)), Encoding.UTF8.GetString(AuditPayload.ToJson("0a1b2c3d", stored)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Its_keys_are_the_keys_of_the_AuditEvent(string name)
    {
        var (access, full) = Records()[name];

        var write = access.ToWrite();

        var keys = write.Indexes.OfType<AuditKeys>().Single();
        Assert.Equal(AuditKeys.From(full).Keys, keys.Keys);
        Assert.Equal(AuditKeys.From(AuditPayload.ToAuditEvent(write.Id, write.Json!)).Keys, keys.Keys);
        Assert.Equal(full.Recorded!.Value.UtcTicks, keys.Recorded);
    }

    [Fact]
    public void Is_a_fraction_of_the_size_of_the_AuditEvent()
    {
        var (access, full) = Records()["search with patients and query"];

        Assert.True(access.ToCompactJson().Length * 3 < AuditEventJson.Serialize(full).Length);
    }

    [Theory]
    [InlineData("""{"resourceType":"AuditEvent"}""")]
    [InlineData("""{"compact":1,"subtype":"read"}""")]
    [InlineData("""{"compact":1,"subtype":"read","status":200,"recorded":1,"who":"u","observer":"h","extra":1}""")]
    [InlineData("""{"compact":2,"subtype":"read","status":200,"recorded":1,"who":"u","observer":"h"}""")]
    [InlineData("""{"compact":1,"subtype":"read","status":"200","recorded":1,"who":"u","observer":"h"}""")]
    [InlineData("""{"compact":1,"subtype":"read","status":200,"recorded":1,"who":"u","observer":"h"} x""")]
    public void Anything_else_is_not_read_as_a_compact_record(string payload)
    {
        Assert.Throws<FormatException>(() => AuditAccess.Parse(Encoding.UTF8.GetBytes(payload)));
    }

    [Fact]
    public void A_stored_AuditEvent_is_read_as_it_is()
    {
        var write = AuditRecords.ToWrite(AuditRecords.Security(AuditActor.Cli, "110137", "User Security Attributes Changed", "admin-change", 200, Now, "user alice disabled"));

        Assert.False(AuditAccess.IsCompact(write.Json));
        Assert.Same(write.Json, AuditPayload.ToJson(write.Id, write.Json!));
        Assert.Equal("admin-change", AuditPayload.ToAuditEvent(write.Id, write.Json!).Subtype[0].Code);
    }

    private static Dictionary<string, (AuditAccess Access, AuditEvent Full)> Records()
    {
        var plain = new AuditActor("user-1", null, null, null, null, []);
        var full = new AuditActor("practitioner/ü \"quoted\" <tag> & +1", "clinician", "app+client", "10.0.0.7", "p1", ["TREAT", "ETREAT"]);
        var cases = new (string Name, AuditActor Actor, string Subtype, string? Operation, int Status, string[] Entities, string[] Patients, string? Query)[]
        {
            ("read", plain, "read", null, 200, ["Patient/p1/_history/2"], ["p1"], null),
            ("search with patients and query", full, "search-type", null, 200, ["Observation/o1/_history/1", "Observation/o1/_history/1"], ["p2", "p1", "p10", "p2"], "GET /fhir/Observation?code=1234-5&name=sha256:0011223344556677&_count=10"),
            ("operation failed", full, "operation", "everything", 503, [], ["p1"], "GET /fhir/Patient/p1/$everything"),
            ("forbidden", plain, "vread", null, 403, [], [], null),
            ("patient entity and patient", plain, "read", null, 200, ["Patient/p1/_history/3"], ["p1"], null),
            ("transaction reads", full, "transaction", null, 200, ["Encounter/e1/_history/1", "Patient/p9/_history/4"], ["p9"], null),
            ("operation named like its subtype", plain, "operation", "operation", 200, [], [], "POST /fhir/$validate"),
            ("history", plain, "history-type", null, 404, [], [], "GET /fhir/Patient/_history"),
            ("empty actor", new AuditActor(string.Empty, string.Empty, null, string.Empty, null, []), "read", null, 401, [], [], null),
        };
        return cases.ToDictionary(
            c => c.Name,
            c => (AuditAccess.Create(c.Actor, c.Subtype, c.Operation, c.Status, Now, c.Entities, c.Patients, c.Query),
                  AuditRecords.Rest(c.Actor, c.Subtype, c.Operation, c.Status, Now, c.Entities, c.Patients, c.Query)));
    }
}
