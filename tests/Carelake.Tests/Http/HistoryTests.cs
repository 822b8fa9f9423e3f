using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Instance, type and system history, with _since, _at, _count and next-link paging.</summary>
public sealed class HistoryTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Instance_history_lists_every_version_newest_first_including_the_deletion()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Hist"), "v1"));
        patient.Name[0].Given = ["v2"];
        await Client.PutAsync(patient);
        patient.Name[0].Given = ["v3"];
        await Client.PutAsync(patient);
        using (var delete = await Client.DeleteAsync($"Patient/{patient.Id}"))
        {
            await Fhir.ExpectStatusAsync(delete, HttpStatusCode.NoContent);
        }

        using var response = await Client.GetAsync($"Patient/{patient.Id}/_history");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var history = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal(Bundle.BundleType.History, history.Type);
        Assert.Equal(4, history.Entry.Count);
        Assert.Equal(["W/\"4\"", "W/\"3\"", "W/\"2\"", "W/\"1\""], history.Entry.Select(e => e.Response?.Etag));
        Assert.Equal(
            [Bundle.HTTPVerb.DELETE, Bundle.HTTPVerb.PUT, Bundle.HTTPVerb.PUT, Bundle.HTTPVerb.POST],
            history.Entry.Select(e => e.Request?.Method ?? default));
        Assert.Null(history.Entry[0].Resource);
        Assert.Equal(["v3", "v2", "v1"], history.Entry.Skip(1).Select(e => ((Patient)e.Resource!).Name[0].Given.Single()));
        Assert.Equal(["3", "2", "1"], history.Entry.Skip(1).Select(e => e.Resource!.Meta?.VersionId));
        Assert.All(history.Entry, e => Assert.Equal($"{server.BaseUrl}/Patient/{patient.Id}", e.FullUrl));
        Assert.All(history.Entry, e => Assert.NotNull(e.Response?.LastModified));
        Assert.All(history.Entry.Zip(history.Entry.Skip(1)), pair => Assert.True(pair.First.Response!.LastModified >= pair.Second.Response!.LastModified));
        Assert.StartsWith("201", history.Entry[^1].Response!.Status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Instance_history_of_an_unknown_resource_returns_404()
    {
        using var response = await Client.GetAsync($"Patient/{Fhir.NewId()}/_history");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Type_history_contains_only_that_type_and_pages_through_every_version_once()
    {
        var created = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var device = await Client.CreateAsync(new Device { DeviceName = [new Device.DeviceNameComponent { Name = $"dev{i}", Type = DeviceNameType.UserFriendlyName }] });
            device.DeviceName[0].Name += "-updated";
            await Client.PutAsync(device);
            created.Add(device.Id!);
        }

        await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("NotADevice")));

        var pages = await Client.WalkPagesAsync("Device/_history?_count=3");

        var entries = pages.SelectMany(p => p.Entry).ToList();
        Assert.All(pages, p => Assert.Equal(Bundle.BundleType.History, p.Type));
        Assert.All(pages, p => Assert.InRange(p.Entry.Count, 0, 3));
        Assert.All(entries, e => Assert.StartsWith($"{server.BaseUrl}/Device/", e.FullUrl, StringComparison.Ordinal));
        var versions = entries.Select(e => $"{e.FullUrl![(e.FullUrl!.LastIndexOf('/') + 1)..]}/{e.Response!.Etag![3..^1]}").ToList();
        Assert.Equal(versions.Count, versions.Distinct().Count());
        foreach (var id in created)
        {
            Assert.Contains($"{id}/1", versions);
            Assert.Contains($"{id}/2", versions);
        }
    }

    [Fact]
    public async Task Type_history_of_an_unknown_type_returns_404()
    {
        using var response = await Client.GetAsync("NotAType/_history");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task System_history_covers_all_types_and_next_links_walk_every_version_exactly_once()
    {
        var expected = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Sys")));
            var observation = await Client.CreateAsync(new Observation
            {
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", "8867-4"),
                Subject = new ResourceReference($"Patient/{patient.Id}"),
            });
            expected.Add($"Patient/{patient.Id}/1");
            expected.Add($"Observation/{observation.Id}/1");
        }

        var pages = await Client.WalkPagesAsync("_history?_count=4");

        var keys = pages.SelectMany(p => p.Entry).Select(e => $"{e.FullUrl![(server.BaseUrl.Length + 1)..]}/{e.Response!.Etag![3..^1]}").ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.All(expected, key => Assert.Contains(key, keys));
        Assert.True(pages.Count >= 3, $"Expected several pages of 4, got {pages.Count}.");
        Assert.All(pages.SkipLast(1), p => Assert.Equal(4, p.Entry.Count));
        var times = pages.SelectMany(p => p.Entry).Select(e => e.Response!.LastModified!.Value).ToList();
        Assert.Equal(times.OrderDescending(), times);
    }

    [Fact]
    public async Task Since_returns_only_the_versions_at_or_after_the_instant()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Since"), "v1"));
        await Task.Delay(20);
        patient.Name[0].Given = ["v2"];
        var second = await Client.PutAsync(patient);
        await Task.Delay(20);
        patient.Name[0].Given = ["v3"];
        await Client.PutAsync(patient);

        var since = Uri.EscapeDataString(CrudTests.Instant(second.Meta!.LastUpdated!.Value));
        var instance = await Client.GetResourceAsync<Bundle>($"Patient/{patient.Id}/_history?_since={since}");
        Assert.Equal(["3", "2"], instance.Entry.Select(e => e.Resource!.Meta!.VersionId));

        var system = await Client.WalkPagesAsync($"_history?_since={since}&_count=50");
        var ours = system.SelectMany(p => p.Entry).Where(e => e.Resource?.Id == patient.Id).Select(e => e.Resource!.Meta!.VersionId).ToList();
        Assert.Equal(["3", "2"], ours);
        Assert.All(system.SelectMany(p => p.Entry), e => Assert.True(e.Response!.LastModified >= second.Meta.LastUpdated));
    }

    [Fact]
    public async Task At_returns_the_version_that_was_current_at_that_instant()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("At"), "v1"));
        await Task.Delay(20);
        patient.Name[0].Given = ["v2"];
        var second = await Client.PutAsync(patient);
        await Task.Delay(40);
        patient.Name[0].Given = ["v3"];
        await Client.PutAsync(patient);

        var at = Uri.EscapeDataString(CrudTests.Instant(second.Meta!.LastUpdated!.Value.AddMilliseconds(10)));
        var history = await Client.GetResourceAsync<Bundle>($"Patient/{patient.Id}/_history?_at={at}");

        var entry = Assert.Single(history.Entry);
        Assert.Equal("2", entry.Resource!.Meta!.VersionId);
    }

    [Fact]
    public async Task Count_limits_the_page_size_and_next_links_return_every_version_once()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Count"), "g0"));
        for (var i = 1; i < 7; i++)
        {
            patient.Name[0].Given = [$"g{i}"];
            await Client.PutAsync(patient);
        }

        var pages = await Client.WalkPagesAsync($"Patient/{patient.Id}/_history?_count=3");

        Assert.Equal([3, 3, 1], pages.Select(p => p.Entry.Count));
        Assert.Equal(["7", "6", "5", "4", "3", "2", "1"], pages.SelectMany(p => p.Entry).Select(e => e.Resource!.Meta!.VersionId));
        Assert.All(pages, p => Assert.NotNull(p.Link.SingleOrDefault(l => l.Relation == "self")));
        Assert.Null(Fhir.NextLink(pages[^1]));
    }

    [Theory]
    [InlineData("_since=yesterday")]
    [InlineData("_at=2020-13-01")]
    [InlineData("_count=many")]
    public async Task Invalid_history_parameters_return_400(string query)
    {
        using var response = await Client.GetAsync($"_history?{query}");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task History_is_available_as_XML()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("HistXml")));

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}/_history", null, ("Accept", Fhir.XmlMediaType));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        var history = await Fhir.ReadXmlAsync<Bundle>(response);
        Assert.Equal(Bundle.BundleType.History, history.Type);
        Assert.Equal(patient.Id, Assert.Single(history.Entry).Resource!.Id);
    }

    [Fact]
    public async Task An_empty_history_page_is_valid_FHIR_JSON()
    {
        var future = Uri.EscapeDataString(CrudTests.Instant(DateTimeOffset.UtcNow.AddYears(5)));
        using var response = await Client.GetAsync($"_history?_since={future}");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var bundle = Fhir.ParseStrict<Bundle>(await response.Content.ReadAsStringAsync());
        Assert.Empty(bundle.Entry);
    }
}
