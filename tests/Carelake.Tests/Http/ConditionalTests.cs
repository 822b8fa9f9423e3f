using System.Globalization;
using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>If-Match, If-None-Match, If-Modified-Since and Prefer: return=minimal|representation|OperationOutcome.</summary>
public sealed class ConditionalTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Update_with_the_current_version_in_If_Match_returns_200()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("IfMatch")));

        using var response = await Client.SendAsync(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("If-Match", "W/\"1\""));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("W/\"2\"", Fhir.ETagOf(response));
    }

    [Fact]
    public async Task Update_with_a_stale_If_Match_returns_412_and_writes_nothing()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Stale"), "original"));
        await Client.PutAsync(patient);
        patient.Name[0].Given = ["lost-update"];

        using var response = await Client.SendAsync(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("If-Match", "W/\"1\""));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.PreconditionFailed);
        var current = await Client.GetResourceAsync<Patient>($"Patient/{patient.Id}");
        Assert.Equal("2", current.Meta?.VersionId);
        Assert.Equal("original", current.Name[0].Given.Single());
    }

    [Fact]
    public async Task Update_with_If_Match_on_a_resource_that_does_not_exist_returns_412()
    {
        var patient = Fhir.NewPatient(Fhir.Unique("IfMatchNew"));
        patient.Id = Fhir.NewId();

        using var response = await Client.SendAsync(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("If-Match", "W/\"1\""));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.PreconditionFailed);
        using var read = await Client.GetAsync($"Patient/{patient.Id}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [Fact]
    public async Task Delete_with_a_stale_If_Match_returns_412_and_a_matching_one_deletes()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("DelIfMatch")));
        await Client.PutAsync(patient);

        using (var stale = await Client.SendAsync(HttpMethod.Delete, $"Patient/{patient.Id}", null, ("If-Match", "W/\"1\"")))
        {
            await Fhir.ExpectOutcomeAsync(stale, HttpStatusCode.PreconditionFailed);
        }

        await Client.GetResourceAsync<Patient>($"Patient/{patient.Id}");

        using (var current = await Client.SendAsync(HttpMethod.Delete, $"Patient/{patient.Id}", null, ("If-Match", "W/\"2\"")))
        {
            await Fhir.ExpectStatusAsync(current, HttpStatusCode.NoContent);
        }

        using var read = await Client.GetAsync($"Patient/{patient.Id}");
        Assert.Equal(HttpStatusCode.Gone, read.StatusCode);
    }

    [Fact]
    public async Task A_malformed_If_Match_returns_400()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("BadIfMatch")));

        using var response = await Client.SendAsync(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("If-Match", "W/\"one\""));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Read_with_the_current_ETag_in_If_None_Match_returns_304_without_a_body()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("INM")));

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-None-Match", "W/\"1\""));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        Assert.Equal("W/\"1\"", Fhir.ETagOf(response));
        Fhir.AssertSecurityHeaders(response);
    }

    [Fact]
    public async Task Read_with_an_old_ETag_in_If_None_Match_returns_200_with_the_current_version()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("INMOld")));
        await Client.PutAsync(patient);

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-None-Match", "W/\"1\""));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("2", (await Fhir.ReadAsync<Patient>(response)).Meta?.VersionId);
        Assert.Equal("W/\"2\"", Fhir.ETagOf(response));
    }

    [Fact]
    public async Task Read_with_If_Modified_Since_at_Last_Modified_returns_304_and_before_it_returns_200()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("IMS")));
        using var first = await Client.GetAsync($"Patient/{patient.Id}");
        var lastModified = first.Content.Headers.LastModified ?? throw new InvalidOperationException("No Last-Modified.");

        using (var same = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-Modified-Since", lastModified.ToString("R", CultureInfo.InvariantCulture))))
        {
            Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
            Assert.Equal(string.Empty, await same.Content.ReadAsStringAsync());
        }

        using (var later = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-Modified-Since", lastModified.AddHours(1).ToString("R", CultureInfo.InvariantCulture))))
        {
            Assert.Equal(HttpStatusCode.NotModified, later.StatusCode);
        }

        using var earlier = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-Modified-Since", lastModified.AddSeconds(-2).ToString("R", CultureInfo.InvariantCulture)));
        await Fhir.ExpectStatusAsync(earlier, HttpStatusCode.OK);
        Assert.Equal(patient.Id, (await Fhir.ReadAsync<Patient>(earlier)).Id);
    }

    [Fact]
    public async Task Create_with_Prefer_return_minimal_returns_201_with_headers_and_no_body()
    {
        var patient = Fhir.NewPatient(Fhir.Unique("Minimal"));

        using var response = await Client.SendAsync(HttpMethod.Post, "Patient", Fhir.JsonContent(patient), ("Prefer", "return=minimal"));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        Assert.Equal("W/\"1\"", Fhir.ETagOf(response));
        Assert.NotNull(response.Content.Headers.LastModified);
        var location = response.Headers.Location?.ToString() ?? throw new InvalidOperationException("No Location.");
        Assert.StartsWith($"{server.BaseUrl}/Patient/", location, StringComparison.Ordinal);
        var read = await Client.GetResourceAsync<Patient>(location);
        Assert.Equal(patient.Name[0].Family, read.Name[0].Family);
    }

    [Fact]
    public async Task Update_with_Prefer_return_minimal_returns_200_with_no_body()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("MinimalPut")));

        using var response = await Client.SendAsync(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("Prefer", "return=minimal"));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        Assert.Equal("W/\"2\"", Fhir.ETagOf(response));
    }

    [Fact]
    public async Task Create_with_Prefer_return_representation_returns_the_stored_resource()
    {
        using var response = await Client.SendAsync(HttpMethod.Post, "Patient", Fhir.JsonContent(Fhir.NewPatient(Fhir.Unique("Repr"))), ("Prefer", "return=representation"));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        var created = await Fhir.ReadAsync<Patient>(response);
        Assert.Equal("1", created.Meta?.VersionId);
        Assert.EndsWith($"/Patient/{created.Id}/_history/1", response.Headers.Location?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_and_update_with_Prefer_return_OperationOutcome_return_an_outcome_instead_of_the_resource()
    {
        using var create = await Client.SendAsync(HttpMethod.Post, "Patient", Fhir.JsonContent(Fhir.NewPatient(Fhir.Unique("RetOO"))), ("Prefer", "return=OperationOutcome"));

        await Fhir.ExpectStatusAsync(create, HttpStatusCode.Created);
        var outcome = await Fhir.ReadAsync<OperationOutcome>(create);
        Assert.All(outcome.Issue, i => Assert.Equal(OperationOutcome.IssueSeverity.Information, i.Severity));
        Assert.Equal("W/\"1\"", Fhir.ETagOf(create));
        var location = create.Headers.Location?.ToString() ?? throw new InvalidOperationException("No Location.");
        var id = location.Split('/')[^3];

        var patient = await Client.GetResourceAsync<Patient>($"Patient/{id}");
        using var update = await Client.SendAsync(HttpMethod.Put, $"Patient/{id}", Fhir.JsonContent(patient), ("Prefer", "return=OperationOutcome"));
        await Fhir.ExpectStatusAsync(update, HttpStatusCode.OK);
        Assert.IsType<OperationOutcome>(await Fhir.ReadAsync<OperationOutcome>(update));
        Assert.Equal("W/\"2\"", Fhir.ETagOf(update));
    }
}
