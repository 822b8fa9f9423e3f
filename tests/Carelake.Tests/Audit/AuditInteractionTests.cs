using System.Net;
using System.Text;
using Carelake.Tests.Http;
using FhirHttp = Carelake.Tests.Http.Fhir;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// Issue 7 acceptance: every interaction produces exactly the expected AuditEvent (BALP: subtype, action, outcome,
/// agent, entity, patient) — one table, one row per interaction. --dev mode: the agent is "anonymous/dev".
/// </summary>
public sealed class AuditInteractionTests(TestServer server) : IClassFixture<TestServer>
{
    private const string Json = "application/fhir+json";

    /// <param name="Entities">References the record must name ({p}: the patient, {o}: the observation, {new}: what the request created).</param>
    public sealed record Expected(string Subtype, AuditEvent.AuditEventAction Action, AuditEvent.AuditEventOutcome Outcome, string[] Entities, bool NamesPatient, string? Operation = null, bool HasQuery = false);

    public static TheoryData<string> Interactions =>
    [
        "create", "read", "vread", "update", "patch", "delete", "search", "compartment-search", "history", "everything",
        "validate", "transaction", "read-unknown", "invalid-create", "auditevent-write",
    ];

    [Theory]
    [MemberData(nameof(Interactions))]
    public async Task Every_interaction_produces_exactly_the_expected_AuditEvent(string interaction)
    {
        var patient = (await server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        var observation = (await server.Services.Resources.CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "718-7"), Subject = new ResourceReference($"Patient/{patient}") }, CancellationToken.None)).Id;
        var head = await AuditTrailReader.HeadAsync(server);
        var client = server.Client;

        var (response, expected) = interaction switch
        {
            "create" => (await client.PostAsync("Patient", FhirHttp.JsonContent("""{"resourceType":"Patient","active":true}""", Json)),
                new Expected("create", AuditEvent.AuditEventAction.C, AuditEvent.AuditEventOutcome.N0, ["Patient/{new}/_history/1"], true)),
            "read" => (await client.GetAsync($"Patient/{patient}"),
                new Expected("read", AuditEvent.AuditEventAction.R, AuditEvent.AuditEventOutcome.N0, ["Patient/{p}/_history/1"], true)),
            "vread" => (await client.GetAsync($"Patient/{patient}/_history/1"),
                new Expected("vread", AuditEvent.AuditEventAction.R, AuditEvent.AuditEventOutcome.N0, ["Patient/{p}/_history/1"], true)),
            "update" => (await client.PutAsync($"Patient/{patient}", FhirHttp.JsonContent($$"""{"resourceType":"Patient","id":"{{patient}}","active":false}""", Json)),
                new Expected("update", AuditEvent.AuditEventAction.U, AuditEvent.AuditEventOutcome.N0, ["Patient/{p}/_history/2"], true)),
            "patch" => (await client.PatchAsync($"Patient/{patient}", new StringContent("""[{"op":"replace","path":"/active","value":false}]""", Encoding.UTF8, "application/json-patch+json")),
                new Expected("patch", AuditEvent.AuditEventAction.U, AuditEvent.AuditEventOutcome.N0, ["Patient/{p}/_history/2"], true)),
            "delete" => (await client.DeleteAsync($"Observation/{observation}"),
                new Expected("delete", AuditEvent.AuditEventAction.D, AuditEvent.AuditEventOutcome.N0, ["Observation/{o}/_history/2"], false)),
            "search" => (await client.GetAsync($"Observation?subject=Patient/{patient}"),
                new Expected("search-type", AuditEvent.AuditEventAction.E, AuditEvent.AuditEventOutcome.N0, [], true, HasQuery: true)),
            "compartment-search" => (await client.GetAsync($"Patient/{patient}/Observation"),
                new Expected("search-type", AuditEvent.AuditEventAction.E, AuditEvent.AuditEventOutcome.N0, [], true, HasQuery: true)),
            "history" => (await client.GetAsync($"Patient/{patient}/_history"),
                new Expected("history-instance", AuditEvent.AuditEventAction.R, AuditEvent.AuditEventOutcome.N0, ["Patient/{p}"], true)),
            "everything" => (await client.GetAsync($"Patient/{patient}/$everything"),
                new Expected("operation", AuditEvent.AuditEventAction.E, AuditEvent.AuditEventOutcome.N0, ["Patient/{p}"], true, "everything", HasQuery: true)),
            "validate" => (await client.PostAsync("Patient/$validate", FhirHttp.JsonContent("""{"resourceType":"Patient","active":true}""", Json)),
                new Expected("operation", AuditEvent.AuditEventAction.E, AuditEvent.AuditEventOutcome.N0, [], false, "validate", HasQuery: true)),
            "transaction" => (await client.PostAsync(string.Empty, FhirHttp.JsonContent("""
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
                  {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"}},"request":{"method":"POST","url":"Observation"}}]}
                """, Json)),
                new Expected("transaction", AuditEvent.AuditEventAction.E, AuditEvent.AuditEventOutcome.N0, ["Patient/", "Observation/"], true)),
            "read-unknown" => (await client.GetAsync("Patient/no-such-patient"),
                new Expected("read", AuditEvent.AuditEventAction.R, AuditEvent.AuditEventOutcome.N4, ["Patient/no-such-patient"], true)),
            "invalid-create" => (await client.PostAsync("Patient", FhirHttp.JsonContent("""{"resourceType":"Patient","birthDate":"not a date"}""", Json)),
                new Expected("create", AuditEvent.AuditEventAction.C, AuditEvent.AuditEventOutcome.N4, [], false)),
            "auditevent-write" => (await client.PostAsync("AuditEvent", FhirHttp.JsonContent("""{"resourceType":"AuditEvent","recorded":"2026-01-01T00:00:00Z"}""", Json)),
                new Expected("create", AuditEvent.AuditEventAction.C, AuditEvent.AuditEventOutcome.N4, [], false)),
            _ => throw new ArgumentOutOfRangeException(nameof(interaction)),
        };

        using (response)
        {
            var created = response.StatusCode == HttpStatusCode.Created ? response.Headers.Location?.Segments[^3].TrimEnd('/') : null;
            var records = await AuditTrailReader.AfterAsync(server, head);
            var audit = Assert.Single(records);
            Assert.Equal(expected.Subtype, audit.Subtype[0].Code);
            Assert.Equal(expected.Operation, audit.Subtype.Skip(1).FirstOrDefault()?.Code);
            Assert.Equal(expected.Action, audit.Action);
            Assert.Equal(expected.Outcome, audit.Outcome);
            Assert.Equal("anonymous/dev", audit.Agent[0].Who!.Identifier!.Value);
            Assert.Equal("127.0.0.1", audit.Agent[0].Network?.Address);
            Assert.Equal("Carelake", audit.Source!.Site);
            var references = AuditTrailReader.References(audit);
            foreach (var entity in expected.Entities)
            {
                var want = entity.Replace("{p}", patient, StringComparison.Ordinal).Replace("{o}", observation, StringComparison.Ordinal).Replace("{new}", created ?? "?", StringComparison.Ordinal);
                Assert.Contains(references, r => r is not null && r.StartsWith(want, StringComparison.Ordinal));
            }

            if (expected.NamesPatient)
            {
                Assert.Contains(audit.Entity, e => e.Role?.Code == "1" && e.What?.Reference?.StartsWith("Patient/", StringComparison.Ordinal) == true);
                if (interaction is not ("create" or "transaction" or "read-unknown"))
                {
                    Assert.Contains($"Patient/{patient}", references);
                }
            }

            Assert.Equal(expected.HasQuery, audit.Entity.Any(e => e.Role?.Code == "24" && e.Query is { Length: > 0 }));
        }
    }

    [Fact]
    public async Task A_batch_audits_the_resources_its_GET_entries_returned_besides_what_it_wrote()
    {
        var patient = (await server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        var other = (await server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        var observation = (await server.Services.Resources.CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "718-7"), Subject = new ResourceReference($"Patient/{other}") }, CancellationToken.None)).Id;
        var head = await AuditTrailReader.HeadAsync(server);

        using var response = await server.Client.PostAsync(string.Empty, FhirHttp.JsonContent($$$"""
            {"resourceType":"Bundle","type":"batch","entry":[
              {"request":{"method":"GET","url":"Patient/{{{patient}}}"}},
              {"request":{"method":"GET","url":"Observation?subject=Patient/{{{other}}}"}},
              {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}}]}
            """, Json));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var records = await AuditTrailReader.AfterAsync(server, head);
        var written = Assert.Single(records, r => r.Entity.Any(e => e.Lifecycle?.Code == "1"));
        var read = Assert.Single(records, r => r != written);
        Assert.Equal("transaction", read.Subtype[0].Code);
        var references = AuditTrailReader.References(read);
        Assert.Contains($"Patient/{patient}/_history/1", references);
        Assert.Contains($"Observation/{observation}/_history/1", references);
        Assert.Contains($"Patient/{other}", references);
        Assert.DoesNotContain(AuditTrailReader.References(written), r => r is not null && r.StartsWith($"Patient/{patient}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_search_by_name_is_recorded_without_the_name()
    {
        var head = await AuditTrailReader.HeadAsync(server);
        (await server.Client.GetAsync("Patient?family=Zyxwvutsrq&identifier=urn:mrn|4711")).Dispose();

        var audit = Assert.Single(await AuditTrailReader.AfterAsync(server, head));
        var query = Encoding.UTF8.GetString(audit.Entity.Single(e => e.Role?.Code == "24").Query!);
        Assert.DoesNotContain("zyxwvutsrq", query, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("family=sha256:", query, StringComparison.Ordinal);
        Assert.Contains("4711", query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_write_produces_a_failure_audit_and_no_data()
    {
        var patient = (await server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        var head = await AuditTrailReader.HeadAsync(server);

        using var response = await server.Client.SendAsync(HttpMethod.Put, $"Patient/{patient}", FhirHttp.JsonContent($$"""{"resourceType":"Patient","id":"{{patient}}","active":false}""", Json), ("If-Match", "W/\"7\""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        var audit = Assert.Single(await AuditTrailReader.AfterAsync(server, head));
        Assert.Equal("update", audit.Subtype[0].Code);
        Assert.Equal(AuditEvent.AuditEventOutcome.N4, audit.Outcome);
        Assert.Equal("412", audit.OutcomeDesc);
        var stored = await server.Services.Store.ReadAsync("Patient", patient, CancellationToken.None);
        Assert.Equal(1, stored!.Version);
    }

    [Fact]
    public async Task Who_accessed_a_patient_is_one_query_and_pages_newest_first()
    {
        var patient = (await server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        for (var i = 0; i < 3; i++)
        {
            (await server.Client.GetAsync($"Patient/{patient}")).Dispose();
        }

        var bundle = await server.Client.GetResourceAsync<Bundle>($"AuditEvent?patient=Patient/{patient}&subtype=read&_count=2");
        Assert.Equal(2, bundle.Entry.Count);
        Assert.All(bundle.Entry, e => Assert.Contains($"Patient/{patient}", ((AuditEvent)e.Resource!).Entity.Select(x => x.What?.Reference)));
        var next = bundle.Link.Single(l => l.Relation == "next").Url!;
        var second = await server.Client.GetResourceAsync<Bundle>(next);
        Assert.Single(second.Entry);
        Assert.True(((AuditEvent)bundle.Entry[0].Resource!).Recorded >= ((AuditEvent)second.Entry[0].Resource!).Recorded);

        var byDate = await server.Client.GetResourceAsync<Bundle>($"AuditEvent?patient={patient}&date=ge2000-01-01&outcome=0&action=R&type=rest");
        Assert.Equal(3, byDate.Entry.Count);
        var none = await server.Client.GetResourceAsync<Bundle>($"AuditEvent?patient={patient}&date=lt2000-01-01");
        Assert.Empty(none.Entry);
    }

    [Fact]
    public async Task AuditEvents_cannot_be_changed_or_deleted_through_the_API()
    {
        (await server.Client.GetAsync("Patient?_count=1")).Dispose();
        var bundle = await server.Client.GetResourceAsync<Bundle>("AuditEvent?_count=1");
        var id = bundle.Entry[0].Resource!.Id;

        using var put = await server.Client.PutAsync($"AuditEvent/{id}", FhirHttp.JsonContent($$"""{"resourceType":"AuditEvent","id":"{{id}}"}""", Json));
        using var delete = await server.Client.DeleteAsync($"AuditEvent/{id}");
        using var expunge = await server.Client.PostAsync($"AuditEvent/{id}/$expunge", null);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, expunge.StatusCode);
        Assert.NotNull(await server.Client.GetResourceAsync<AuditEvent>($"AuditEvent/{id}"));
    }
}
