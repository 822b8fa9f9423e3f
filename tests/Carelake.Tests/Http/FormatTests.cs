using System.Net;
using System.Text.Json;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>JSON and XML in and out: Content-Type, Accept, _format and _pretty.</summary>
public sealed class FormatTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task JSON_is_the_default_response_format()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Default")));

        using var response = await Client.GetAsync($"Patient/{patient.Id}");

        Assert.Equal(Fhir.JsonMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(patient.Id, (await Fhir.ReadAsync<Patient>(response)).Id);
    }

    [Theory]
    [InlineData("application/fhir+json")]
    [InlineData("application/json")]
    [InlineData("application/fhir+json; fhirVersion=4.0")]
    [InlineData("*/*")]
    public async Task JSON_Accept_headers_get_FHIR_JSON(string accept)
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("AcceptJson")));

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, ("Accept", accept));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.JsonMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(patient.Id, (await Fhir.ReadAsync<Patient>(response)).Id);
    }

    [Theory]
    [InlineData("application/fhir+json")]
    [InlineData("application/json")]
    public async Task Create_accepts_both_JSON_content_types(string contentType)
    {
        var family = Fhir.Unique("CtJson");

        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(Fhir.NewPatient(family), contentType));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(family, (await Fhir.ReadAsync<Patient>(response)).Name[0].Family);
    }

    [Fact]
    public async Task Create_from_XML_answers_in_XML_when_asked_and_the_resource_reads_back_as_JSON()
    {
        var family = Fhir.Unique("Xml");
        var patient = Fhir.NewPatient(family, "Zoë");
        patient.BirthDate = "1970-03-15";

        using var response = await Client.SendAsync(HttpMethod.Post, "Patient", Fhir.XmlContent(patient), ("Accept", Fhir.XmlMediaType));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(Fhir.XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        var created = await Fhir.ReadXmlAsync<Patient>(response);
        Assert.Equal("1", created.Meta?.VersionId);
        var json = await Client.GetResourceAsync<Patient>($"Patient/{created.Id}");
        Assert.Equal((family, "Zoë", "1970-03-15"), (json.Name[0].Family, json.Name[0].Given.Single(), json.BirthDate));
    }

    [Fact]
    public async Task Update_accepts_an_XML_body()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("XmlPut"), "before"));
        patient.Name[0].Given = ["after"];

        using var response = await Client.PutAsync($"Patient/{patient.Id}", Fhir.XmlContent(patient));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("after", (await Client.GetResourceAsync<Patient>($"Patient/{patient.Id}")).Name[0].Given.Single());
    }

    [Theory]
    [InlineData("application/fhir+xml")]
    [InlineData("application/xml")]
    [InlineData("text/xml")]
    [InlineData("application/fhir+json;q=0.5, application/fhir+xml;q=0.9")]
    public async Task XML_Accept_headers_get_FHIR_XML(string accept)
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("AcceptXml")));

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, ("Accept", accept));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(patient.Id, (await Fhir.ReadXmlAsync<Patient>(response)).Id);
    }

    [Theory]
    [InlineData("xml")]
    [InlineData("application/fhir+xml")]
    [InlineData("application/xml")]
    public async Task Format_xml_overrides_a_JSON_Accept(string format)
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("FmtXml")));

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}?_format={Uri.EscapeDataString(format)}", null, ("Accept", Fhir.JsonMediaType));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(patient.Id, (await Fhir.ReadXmlAsync<Patient>(response)).Id);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("application/fhir+json")]
    [InlineData("application/json")]
    public async Task Format_json_overrides_an_XML_Accept(string format)
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("FmtJson")));

        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}?_format={Uri.EscapeDataString(format)}", null, ("Accept", Fhir.XmlMediaType));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.JsonMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(patient.Id, (await Fhir.ReadAsync<Patient>(response)).Id);
    }

    [Fact]
    public async Task Search_results_are_available_in_XML()
    {
        var family = Fhir.Unique("SearchXml");
        var patient = await Client.CreateAsync(Fhir.NewPatient(family));

        using var response = await Client.GetAsync($"Patient?family={family}&_format=xml");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var bundle = await Fhir.ReadXmlAsync<Bundle>(response);
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        Assert.Equal(patient.Id, Assert.Single(bundle.Entry).Resource!.Id);
    }

    [Fact]
    public async Task Pretty_true_indents_JSON_and_the_default_is_compact()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Pretty")));

        var compact = await Client.GetStringAsync($"Patient/{patient.Id}");
        var pretty = await Client.GetStringAsync($"Patient/{patient.Id}?_pretty=true");

        Assert.DoesNotContain('\n', compact.Trim());
        Assert.Contains("\n  \"", pretty, StringComparison.Ordinal);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(compact).RootElement, JsonDocument.Parse(pretty).RootElement));
    }

    [Fact]
    public async Task Pretty_true_indents_XML_search_and_metadata()
    {
        var family = Fhir.Unique("PrettyXml");
        var patient = await Client.CreateAsync(Fhir.NewPatient(family));

        var xml = await Client.GetStringAsync($"Patient/{patient.Id}?_format=xml&_pretty=true");
        var search = await Client.GetStringAsync($"Patient?family={family}&_pretty=true");
        var metadata = await Client.GetStringAsync("metadata?_pretty=true");

        Assert.Contains("\n  <", xml, StringComparison.Ordinal);
        Assert.Contains("\n  \"", search, StringComparison.Ordinal);
        Assert.Contains("\n  \"", metadata, StringComparison.Ordinal);
        Assert.Equal(patient.Id, Fhir.MatchIds(Fhir.Parse<Bundle>(search)).Single());
    }

    [Fact]
    public async Task Errors_are_answered_in_the_format_the_client_asked_for()
    {
        using var response = await Client.SendAsync(HttpMethod.Get, $"Patient/{Fhir.NewId()}", null, ("Accept", Fhir.XmlMediaType));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(Fhir.XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        var outcome = await Fhir.ReadXmlAsync<OperationOutcome>(response);
        Assert.Contains(outcome.Issue, i => !string.IsNullOrEmpty(i.Diagnostics));
    }

    [Fact]
    public async Task An_XML_body_with_a_UTF8_byte_order_mark_is_accepted()
    {
        var family = Fhir.Unique("Bom");
        byte[] bom = [0xEF, 0xBB, 0xBF];
        var xml = Fhir.ToXml(Fhir.NewPatient(family));
        var content = new ByteArrayContent([.. bom, .. System.Text.Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + xml)]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(Fhir.XmlMediaType);

        using var response = await Client.PostAsync("Patient", content);

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(family, (await Fhir.ReadAsync<Patient>(response)).Name[0].Family);
    }

    [Fact]
    public async Task Next_links_keep_the_requested_format_and_pretty_printing()
    {
        var family = Fhir.Unique("NextXml");
        for (var i = 0; i < 3; i++)
        {
            await Client.CreateAsync(Fhir.NewPatient(family));
        }

        using var first = await Client.GetAsync($"Patient?family={family}&_count=2&_format=xml&_pretty=true");
        var next = Fhir.NextLink(await Fhir.ReadXmlAsync<Bundle>(first)) ?? throw new InvalidOperationException("No next link.");

        using var second = await Client.GetAsync(next);

        Assert.Equal(Fhir.XmlMediaType, second.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\n  <", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
