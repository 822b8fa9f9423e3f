using System.Globalization;
using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>read, vread, create, update (and update-as-create) and logical delete, through real HTTP.</summary>
public sealed class CrudTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Create_assigns_an_id_and_answers_201_with_Location_ETag_Last_Modified_and_meta()
    {
        var patient = Fhir.NewPatient(Fhir.Unique("Create"), "Ann");
        patient.Id = "client-chosen-id";
        patient.Meta = new Meta { VersionId = "7" };
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(patient));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        var after = DateTimeOffset.UtcNow.AddSeconds(1);
        Assert.Equal(Fhir.JsonMediaType, response.Content.Headers.ContentType?.MediaType);
        var created = await Fhir.ReadAsync<Patient>(response);
        Assert.False(string.IsNullOrEmpty(created.Id));
        Assert.NotEqual("client-chosen-id", created.Id);
        Assert.Matches("^[A-Za-z0-9\\-\\.]{1,64}$", created.Id);
        Assert.Equal("1", created.Meta?.VersionId);
        Assert.NotNull(created.Meta?.LastUpdated);
        Assert.InRange(created.Meta!.LastUpdated!.Value, before, after);
        Assert.Equal(patient.Name[0].Family, created.Name[0].Family);

        Assert.Equal($"{server.BaseUrl}/Patient/{created.Id}/_history/1", response.Headers.Location?.ToString());
        Assert.Equal("W/\"1\"", Fhir.ETagOf(response));
        Assert.True(response.Headers.ETag!.IsWeak);
        var lastModified = response.Content.Headers.LastModified;
        Assert.NotNull(lastModified);
        Assert.Equal(Seconds(created.Meta.LastUpdated.Value), lastModified!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Read_returns_the_current_version_with_ETag_and_Last_Modified()
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Read")));

        using var response = await Client.GetAsync($"Patient/{created.Id}");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var read = await Fhir.ReadAsync<Patient>(response);
        Assert.Equal(created.Id, read.Id);
        Assert.Equal("1", read.Meta?.VersionId);
        Assert.Equal(created.Meta!.LastUpdated, read.Meta!.LastUpdated);
        Assert.Equal("W/\"1\"", Fhir.ETagOf(response));
        Assert.Equal(Seconds(read.Meta.LastUpdated!.Value), response.Content.Headers.LastModified?.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Read_of_an_unknown_id_returns_404_with_an_OperationOutcome()
    {
        using var response = await Client.GetAsync($"Patient/{Fhir.NewId()}");
        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(outcome.Issue, i => i.Code == OperationOutcome.IssueType.NotFound);
    }

    [Fact]
    public async Task Update_increments_the_version_and_keeps_the_id()
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Update"), "First"));
        await Task.Delay(5);
        created.Name[0].Given = ["Second"];

        using var response = await Client.PutAsync($"Patient/{created.Id}", Fhir.JsonContent(created));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var updated = await Fhir.ReadAsync<Patient>(response);
        Assert.Equal(created.Id, updated.Id);
        Assert.Equal("2", updated.Meta?.VersionId);
        Assert.True(updated.Meta!.LastUpdated > created.Meta!.LastUpdated, "lastUpdated must move forward on update");
        Assert.Equal("W/\"2\"", Fhir.ETagOf(response));
        Assert.NotNull(response.Content.Headers.LastModified);

        var read = await Client.GetResourceAsync<Patient>($"Patient/{created.Id}");
        Assert.Equal("2", read.Meta?.VersionId);
        Assert.Equal("Second", read.Name[0].Given.Single());
    }

    [Fact]
    public async Task Update_ignores_a_client_supplied_meta_versionId()
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("MetaVersion")));
        created.Meta!.VersionId = "42";

        var updated = await Client.PutAsync(created);

        Assert.Equal("2", updated.Meta?.VersionId);
    }

    [Fact]
    public async Task Update_as_create_with_a_client_id_returns_201_with_Location()
    {
        var id = "client-" + Fhir.NewId();
        var patient = Fhir.NewPatient(Fhir.Unique("UpsertNew"));
        patient.Id = id;

        using var response = await Client.PutAsync($"Patient/{id}", Fhir.JsonContent(patient));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        var created = await Fhir.ReadAsync<Patient>(response);
        Assert.Equal(id, created.Id);
        Assert.Equal("1", created.Meta?.VersionId);
        Assert.Equal("W/\"1\"", Fhir.ETagOf(response));
        Assert.Equal($"{server.BaseUrl}/Patient/{id}/_history/1", response.Headers.Location?.ToString());
        Assert.Equal(id, (await Client.GetResourceAsync<Patient>($"Patient/{id}")).Id);
    }

    [Fact]
    public async Task Update_without_an_id_in_the_body_returns_400()
    {
        var patient = Fhir.NewPatient(Fhir.Unique("NoId"));
        using var response = await Client.PutAsync($"Patient/{Fhir.NewId()}", Fhir.JsonContent(patient));
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Vread_returns_each_version_as_it_was()
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Vread"), "V1"));
        created.Name[0].Given = ["V2"];
        await Client.PutAsync(created);

        using var first = await Client.GetAsync($"Patient/{created.Id}/_history/1");
        using var second = await Client.GetAsync($"Patient/{created.Id}/_history/2");

        await Fhir.ExpectStatusAsync(first, HttpStatusCode.OK);
        await Fhir.ExpectStatusAsync(second, HttpStatusCode.OK);
        var v1 = await Fhir.ReadAsync<Patient>(first);
        var v2 = await Fhir.ReadAsync<Patient>(second);
        Assert.Equal(("1", "V1"), (v1.Meta?.VersionId, v1.Name[0].Given.Single()));
        Assert.Equal(("2", "V2"), (v2.Meta?.VersionId, v2.Name[0].Given.Single()));
        Assert.Equal("W/\"1\"", Fhir.ETagOf(first));
        Assert.Equal("W/\"2\"", Fhir.ETagOf(second));
        Assert.NotNull(first.Content.Headers.LastModified);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    [InlineData("abc")]
    public async Task Vread_of_a_version_that_does_not_exist_returns_404(string version)
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("VreadMissing")));
        using var response = await Client.GetAsync($"Patient/{created.Id}/_history/{version}");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Vread_of_an_unknown_resource_returns_404()
    {
        using var response = await Client.GetAsync($"Patient/{Fhir.NewId()}/_history/1");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_is_logical_read_returns_410_and_old_versions_stay_readable()
    {
        var family = Fhir.Unique("Delete");
        var created = await Client.CreateAsync(Fhir.NewPatient(family));

        using (var delete = await Client.DeleteAsync($"Patient/{created.Id}"))
        {
            await Fhir.ExpectStatusAsync(delete, HttpStatusCode.NoContent);
            Assert.Equal(string.Empty, await delete.Content.ReadAsStringAsync());
            Assert.Equal("W/\"2\"", Fhir.ETagOf(delete));
        }

        using (var read = await Client.GetAsync($"Patient/{created.Id}"))
        {
            var outcome = await Fhir.ExpectOutcomeAsync(read, HttpStatusCode.Gone);
            Assert.Contains(outcome.Issue, i => i.Code == OperationOutcome.IssueType.Deleted);
        }

        var v1 = await Client.GetResourceAsync<Patient>($"Patient/{created.Id}/_history/1");
        Assert.Equal(family, v1.Name[0].Family);
        using (var deletion = await Client.GetAsync($"Patient/{created.Id}/_history/2"))
        {
            await Fhir.ExpectOutcomeAsync(deletion, HttpStatusCode.Gone);
        }

        Assert.Empty(await Client.SearchIdsAsync($"Patient?family={family}"));
        Assert.Empty(await Client.SearchIdsAsync($"Patient?_id={created.Id}"));
    }

    [Fact]
    public async Task Delete_of_a_resource_that_does_not_exist_returns_204()
    {
        using var response = await Client.DeleteAsync($"Patient/{Fhir.NewId()}");
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Delete_twice_returns_204_both_times_and_adds_one_deletion_version()
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("DeleteTwice")));

        using (var first = await Client.DeleteAsync($"Patient/{created.Id}"))
        {
            await Fhir.ExpectStatusAsync(first, HttpStatusCode.NoContent);
        }

        using (var second = await Client.DeleteAsync($"Patient/{created.Id}"))
        {
            await Fhir.ExpectStatusAsync(second, HttpStatusCode.NoContent);
        }

        var history = await Client.GetResourceAsync<Bundle>($"Patient/{created.Id}/_history");
        Assert.Equal(2, history.Entry.Count);
    }

    [Fact]
    public async Task Update_after_delete_recreates_the_resource_with_the_next_version_and_201()
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Resurrect")));
        using (var delete = await Client.DeleteAsync($"Patient/{created.Id}"))
        {
            await Fhir.ExpectStatusAsync(delete, HttpStatusCode.NoContent);
        }

        using var response = await Client.PutAsync($"Patient/{created.Id}", Fhir.JsonContent(created));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        var recreated = await Fhir.ReadAsync<Patient>(response);
        Assert.Equal("3", recreated.Meta?.VersionId);
        Assert.Equal("W/\"3\"", Fhir.ETagOf(response));
        Assert.Equal("3", (await Client.GetResourceAsync<Patient>($"Patient/{created.Id}")).Meta?.VersionId);
    }

    [Fact]
    public async Task Delete_with_Prefer_return_OperationOutcome_answers_with_an_informational_outcome()
    {
        var created = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("DeleteOutcome")));

        using var response = await Client.SendAsync(HttpMethod.Delete, $"Patient/{created.Id}", null, ("Prefer", "return=OperationOutcome"));

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, await Fhir.DescribeAsync(response));
        var outcome = await Fhir.ReadAsync<OperationOutcome>(response);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Information);
    }

    [Fact]
    public async Task Search_no_longer_finds_a_resource_by_a_value_removed_by_an_update()
    {
        var oldFamily = Fhir.Unique("Before");
        var newFamily = Fhir.Unique("After");
        var created = await Client.CreateAsync(Fhir.NewPatient(oldFamily));
        created.Name[0].Family = newFamily;
        await Client.PutAsync(created);

        Assert.Empty(await Client.SearchIdsAsync($"Patient?family={oldFamily}"));
        Assert.Equal([created.Id!], await Client.SearchIdsAsync($"Patient?family={newFamily}"));
    }

    private static long Seconds(DateTimeOffset instant) => instant.ToUnixTimeSeconds();

    internal static string Instant(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
