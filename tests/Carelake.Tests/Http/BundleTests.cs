using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Transaction and batch Bundles POSTed to the base URL.</summary>
public sealed class BundleTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Transaction_creates_everything_and_rewrites_urn_uuid_references()
    {
        var family = Fhir.Unique("Tx");
        var patientUrn = $"urn:uuid:{Guid.NewGuid()}";
        var encounterUrn = $"urn:uuid:{Guid.NewGuid()}";
        var putId = "tx-" + Fhir.NewId();
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                Post(patientUrn, Fhir.NewPatient(family)),
                Post(encounterUrn, new Encounter
                {
                    Status = Encounter.EncounterStatus.Finished,
                    Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
                    Subject = new ResourceReference(patientUrn),
                }),
                Post($"urn:uuid:{Guid.NewGuid()}", new Observation
                {
                    Status = ObservationStatus.Final,
                    Code = new CodeableConcept("http://loinc.org", "8867-4"),
                    Subject = new ResourceReference(patientUrn),
                    Encounter = new ResourceReference(encounterUrn),
                    Extension = [new Extension("http://example.org/ext", new ResourceReference(patientUrn))],
                }),
                new Bundle.EntryComponent
                {
                    Resource = new Practitioner { Id = putId, Name = [new HumanName { Family = family }] },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Practitioner/{putId}" },
                },
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(transaction));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var result = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal(Bundle.BundleType.TransactionResponse, result.Type);
        Assert.Equal(4, result.Entry.Count);
        Assert.All(result.Entry, e => Assert.StartsWith("201", e.Response?.Status, StringComparison.Ordinal));
        Assert.All(result.Entry, e => Assert.Equal("W/\"1\"", e.Response?.Etag));
        Assert.All(result.Entry, e => Assert.NotNull(e.Response?.LastModified));
        var locations = result.Entry.Select(e => e.Response!.Location!).ToList();
        Assert.Matches("^(.*/)?Patient/[A-Za-z0-9\\-\\.]{1,64}/_history/1$", locations[0]);
        Assert.Matches("^(.*/)?Encounter/[A-Za-z0-9\\-\\.]{1,64}/_history/1$", locations[1]);
        Assert.Matches("^(.*/)?Observation/[A-Za-z0-9\\-\\.]{1,64}/_history/1$", locations[2]);
        Assert.EndsWith($"Practitioner/{putId}/_history/1", locations[3], StringComparison.Ordinal);

        var patientId = IdFromLocation(locations[0]);
        var encounterId = IdFromLocation(locations[1]);
        var observation = await Client.GetResourceAsync<Observation>($"Observation/{IdFromLocation(locations[2])}");
        Assert.Equal($"Patient/{patientId}", observation.Subject?.Reference);
        Assert.Equal($"Encounter/{encounterId}", observation.Encounter?.Reference);
        Assert.Equal($"Patient/{patientId}", Assert.IsType<ResourceReference>(observation.Extension[0].Value).Reference);
        var encounter = await Client.GetResourceAsync<Encounter>($"Encounter/{encounterId}");
        Assert.Equal($"Patient/{patientId}", encounter.Subject?.Reference);
        Assert.Equal(family, (await Client.GetResourceAsync<Patient>($"Patient/{patientId}")).Name[0].Family);
        Assert.Equal(putId, (await Client.GetResourceAsync<Practitioner>($"Practitioner/{putId}")).Id);

        Assert.Equal([observation.Id!], await Client.SearchIdsAsync($"Observation?subject=Patient/{patientId}"));
        Assert.Equal([observation.Id!], await Client.SearchIdsAsync($"Observation?patient={patientId}"));
        Assert.Equal([encounterId], await Client.SearchIdsAsync($"Encounter?patient=Patient/{patientId}"));
    }

    [Fact]
    public async Task Transaction_is_also_accepted_at_the_base_URL_without_a_trailing_slash()
    {
        var family = Fhir.Unique("NoSlash");
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(null, Fhir.NewPatient(family))] };

        using var response = await Client.PostAsync(server.BaseUrl, Fhir.JsonContent(transaction));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Single(await Client.SearchIdsAsync($"Patient?family={family}"));
    }

    [Fact]
    public async Task Transaction_reports_updates_deletes_and_reads_in_request_order()
    {
        var existing = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("TxExisting"), "old"));
        var doomed = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("TxDoomed")));
        existing.Name[0].Given = ["new"];
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{existing.Id}" } },
                new Bundle.EntryComponent
                {
                    Resource = existing,
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{existing.Id}", IfMatch = "W/\"1\"" },
                },
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"Patient/{doomed.Id}" } },
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(transaction));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var result = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal(3, result.Entry.Count);
        Assert.StartsWith("200", result.Entry[0].Response!.Status, StringComparison.Ordinal);
        Assert.Equal("new", ((Patient)result.Entry[0].Resource!).Name[0].Given.Single());
        Assert.StartsWith("200", result.Entry[1].Response!.Status, StringComparison.Ordinal);
        Assert.Equal("W/\"2\"", result.Entry[1].Response!.Etag);
        Assert.StartsWith("204", result.Entry[2].Response!.Status, StringComparison.Ordinal);
        using var gone = await Client.GetAsync($"Patient/{doomed.Id}");
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
    }

    [Fact]
    public async Task Transaction_with_a_PUT_whose_id_does_not_match_its_URL_writes_nothing()
    {
        var before = await CountsAsync();
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                Post($"urn:uuid:{Guid.NewGuid()}", Fhir.NewPatient(Fhir.Unique("TxAtomic"))),
                Post(null, new Organization { Name = "Atomic Org" }),
                new Bundle.EntryComponent
                {
                    Resource = new Patient { Id = "body-id", Active = true },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = "Patient/url-id" },
                },
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(transaction));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Transaction_with_a_stale_ifMatch_on_a_DELETE_writes_nothing()
    {
        var target = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("TxStale")));
        await Client.PutAsync(target);
        var before = await CountsAsync();
        var historyBefore = (await Client.GetResourceAsync<Bundle>($"Patient/{target.Id}/_history")).Entry.Count;
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                Post($"urn:uuid:{Guid.NewGuid()}", Fhir.NewPatient(Fhir.Unique("TxStaleNew"))),
                new Bundle.EntryComponent
                {
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"Patient/{target.Id}", IfMatch = "W/\"1\"" },
                },
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(transaction));

        Assert.True(response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.BadRequest, await Fhir.DescribeAsync(response));
        await Fhir.ExpectOutcomeAsync(response, response.StatusCode);
        Assert.Equal(before, await CountsAsync());
        Assert.Equal("2", (await Client.GetResourceAsync<Patient>($"Patient/{target.Id}")).Meta?.VersionId);
        Assert.Equal(historyBefore, (await Client.GetResourceAsync<Bundle>($"Patient/{target.Id}/_history")).Entry.Count);
    }

    [Fact]
    public async Task Transaction_with_an_invalid_resource_in_one_entry_writes_nothing()
    {
        var before = await CountsAsync();
        var body = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
            + "{\"resource\":{\"resourceType\":\"Patient\",\"active\":true},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},"
            + "{\"resource\":{\"resourceType\":\"Patient\",\"birthDate\":\"not a date\"},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}]}";

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(body));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Batch_commits_good_entries_and_reports_each_failure_with_an_OperationOutcome()
    {
        var family = Fhir.Unique("Batch");
        var existing = await Client.CreateAsync(Fhir.NewPatient(family, "existing"));
        await Client.PutAsync(existing);
        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                Post(null, Fhir.NewPatient(family, "created")),
                new Bundle.EntryComponent
                {
                    Resource = new Patient { Id = "body-id", Active = true },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = "Patient/url-id" },
                },
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{existing.Id}" } },
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{Fhir.NewId()}" } },
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"Patient/{existing.Id}", IfMatch = "W/\"1\"" } },
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"NotAType/1" } },
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient?family={family}" } },
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(batch));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var result = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal(Bundle.BundleType.BatchResponse, result.Type);
        Assert.Equal(7, result.Entry.Count);
        var statuses = result.Entry.Select(e => e.Response?.Status?[..3]).ToList();
        Assert.Equal(["201", "400", "200", "404", "412", "404", "200"], statuses);
        foreach (var failed in new[] { 1, 3, 4, 5 })
        {
            var outcome = Assert.IsType<OperationOutcome>(result.Entry[failed].Response!.Outcome);
            Assert.Contains(outcome.Issue, i => !string.IsNullOrWhiteSpace(i.Diagnostics));
            Fhir.AssertNoInternals(Fhir.ToJson(outcome));
        }

        var createdId = IdFromLocation(result.Entry[0].Response!.Location!);
        Assert.Equal("created", (await Client.GetResourceAsync<Patient>($"Patient/{createdId}")).Name[0].Given.Single());
        Assert.Equal(existing.Id, result.Entry[2].Resource?.Id);
        Assert.Equal("W/\"2\"", result.Entry[2].Response!.Etag);
        var searchset = Assert.IsType<Bundle>(result.Entry[6].Resource);
        Assert.Equal(Bundle.BundleType.Searchset, searchset.Type);
        Assert.Contains(existing.Id, Fhir.MatchIds(searchset));
        Assert.Equal("2", (await Client.GetResourceAsync<Patient>($"Patient/{existing.Id}")).Meta?.VersionId);
    }

    [Fact]
    public async Task Batch_entries_are_independent_so_urn_uuid_references_are_not_a_transaction()
    {
        var family = Fhir.Unique("BatchIndependent");
        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry = [Post(null, Fhir.NewPatient(family, "one")), Post(null, Fhir.NewPatient(family, "two")), Post(null, Fhir.NewPatient(family, "three"))],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(batch));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var result = await Fhir.ReadAsync<Bundle>(response);
        Assert.All(result.Entry, e => Assert.StartsWith("201", e.Response!.Status, StringComparison.Ordinal));
        Assert.Equal(3, (await Client.SearchIdsAsync($"Patient?family={family}")).Count);
    }

    [Theory]
    [InlineData("collection")]
    [InlineData("searchset")]
    [InlineData("document")]
    public async Task Bundles_other_than_transaction_or_batch_are_rejected_at_the_base(string type)
    {
        var body = $"{{\"resourceType\":\"Bundle\",\"type\":\"{type}\",\"entry\":[{{\"fullUrl\":\"urn:uuid:{Guid.NewGuid()}\",\"resource\":{{\"resourceType\":\"Patient\",\"active\":true}}}}]}}";

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(body));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_resource_other_than_a_Bundle_is_rejected_at_the_base()
    {
        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(Fhir.NewPatient(Fhir.Unique("NotBundle"))));
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Transaction_response_is_available_in_XML()
    {
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(null, Fhir.NewPatient(Fhir.Unique("TxXml")))] };

        using var response = await Client.SendAsync(HttpMethod.Post, string.Empty, Fhir.XmlContent(transaction), ("Accept", Fhir.XmlMediaType));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var result = await Fhir.ReadXmlAsync<Bundle>(response);
        Assert.Equal(Bundle.BundleType.TransactionResponse, result.Type);
        Assert.StartsWith("201", Assert.Single(result.Entry).Response!.Status, StringComparison.Ordinal);
    }

    private static Bundle.EntryComponent Post(string? fullUrl, Resource resource) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName },
    };

    private static string IdFromLocation(string location)
    {
        var parts = location.Split('/');
        var history = Array.IndexOf(parts, "_history");
        return parts[history - 1];
    }

    private async Task<IReadOnlyDictionary<string, long>> CountsAsync() =>
        await server.Services.Store.CountByTypeAsync(CancellationToken.None);
}
