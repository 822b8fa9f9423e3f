using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>/metadata (CapabilityStatement) and $versions.</summary>
public sealed class CapabilityTests(TestServer server) : IClassFixture<TestServer>
{
    private static readonly CapabilityStatement.TypeRestfulInteraction[] PatientInteractions =
    [
        CapabilityStatement.TypeRestfulInteraction.Read,
        CapabilityStatement.TypeRestfulInteraction.Vread,
        CapabilityStatement.TypeRestfulInteraction.Update,
        CapabilityStatement.TypeRestfulInteraction.Delete,
        CapabilityStatement.TypeRestfulInteraction.Create,
        CapabilityStatement.TypeRestfulInteraction.SearchType,
        CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
        CapabilityStatement.TypeRestfulInteraction.HistoryType,
    ];

    [Fact]
    public async Task Metadata_describes_the_server_and_its_formats()
    {
        using var response = await server.Client.GetAsync("metadata");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.JsonMediaType, response.Content.Headers.ContentType?.MediaType);
        var statement = await Fhir.ReadAsync<CapabilityStatement>(response);
        Assert.Equal(FHIRVersion.N4_0_1, statement.FhirVersion);
        Assert.Equal(CapabilityStatementKind.Instance, statement.Kind);
        Assert.Equal(PublicationStatus.Active, statement.Status);
        Assert.False(string.IsNullOrEmpty(statement.Date));
        Assert.Contains("application/fhir+json", statement.Format);
        Assert.Contains("application/fhir+xml", statement.Format);
        Assert.Equal(server.BaseUrl, statement.Implementation?.Url);
        var rest = Assert.Single(statement.Rest);
        Assert.Equal(CapabilityStatement.RestfulCapabilityMode.Server, rest.Mode);
        var system = rest.Interaction.Select(i => i.Code).ToList();
        Assert.Contains(CapabilityStatement.SystemRestfulInteraction.Transaction, system);
        Assert.Contains(CapabilityStatement.SystemRestfulInteraction.Batch, system);
        Assert.Contains(CapabilityStatement.SystemRestfulInteraction.HistorySystem, system);
    }

    [Fact]
    public async Task Metadata_lists_Patient_interactions_versioning_and_search_parameters()
    {
        var statement = await server.Client.GetResourceAsync<CapabilityStatement>("metadata");

        var patient = Assert.Single(statement.Rest[0].Resource, r => r.Type == "Patient");
        var interactions = patient.Interaction.Select(i => i.Code).ToList();
        Assert.All(PatientInteractions, i => Assert.Contains((CapabilityStatement.TypeRestfulInteraction?)i, interactions));
        Assert.True(patient.UpdateCreate, "updateCreate must be true: PUT to a new id creates it.");
        Assert.True(patient.ReadHistory);
        Assert.Equal(CapabilityStatement.ResourceVersionPolicy.Versioned, patient.Versioning);
        AssertParameters(patient, ("_id", SearchParamType.Token), ("_lastUpdated", SearchParamType.Date), ("family", SearchParamType.String),
            ("given", SearchParamType.String), ("name", SearchParamType.String), ("birthdate", SearchParamType.Date),
            ("gender", SearchParamType.Token), ("identifier", SearchParamType.Token));
    }

    [Fact]
    public async Task Metadata_lists_the_clinical_search_parameters()
    {
        var statement = await server.Client.GetResourceAsync<CapabilityStatement>("metadata");
        var resources = statement.Rest[0].Resource;

        AssertParameters(resources.Single(r => r.Type == "Observation"), ("code", SearchParamType.Token), ("subject", SearchParamType.Reference),
            ("patient", SearchParamType.Reference), ("date", SearchParamType.Date));
        AssertParameters(resources.Single(r => r.Type == "Encounter"), ("date", SearchParamType.Date), ("class", SearchParamType.Token),
            ("subject", SearchParamType.Reference), ("patient", SearchParamType.Reference));
        AssertParameters(resources.Single(r => r.Type == "Condition"), ("code", SearchParamType.Token), ("clinical-status", SearchParamType.Token),
            ("patient", SearchParamType.Reference), ("subject", SearchParamType.Reference));
    }

    [Fact]
    public async Task Metadata_lists_every_R4_resource_type_once()
    {
        var statement = await server.Client.GetResourceAsync<CapabilityStatement>("metadata");

        var listed = statement.Rest[0].Resource.Select(r => r.Type).ToList();
        var expected = ModelInfo.SupportedResources.OfType<string>().Where(t => t is not ("Resource" or "DomainResource")).Order(StringComparer.Ordinal);
        Assert.Equal(expected, listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Metadata_is_available_as_XML()
    {
        using var response = await server.Client.GetAsync("metadata?_format=xml");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        var statement = await Fhir.ReadXmlAsync<CapabilityStatement>(response);
        Assert.Contains(statement.Rest[0].Resource, r => r.Type == "Patient");
    }

    [Fact]
    public async Task Versions_operation_reports_4_0_as_the_supported_and_default_version()
    {
        using var response = await server.Client.GetAsync("$versions");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var parameters = await Fhir.ReadAsync<Parameters>(response);
        Assert.Contains(parameters.Parameter, p => p.Name == "version" && p.Value is Code { Value: "4.0" });
        Assert.Contains(parameters.Parameter, p => p.Name == "default" && p.Value is Code { Value: "4.0" });
    }

    [Fact]
    public async Task Versions_operation_honours_an_XML_Accept_header()
    {
        using var response = await server.Client.SendAsync(HttpMethod.Get, "$versions", null, ("Accept", Fhir.XmlMediaType));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Fhir.XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        var parameters = await Fhir.ReadXmlAsync<Parameters>(response);
        Assert.Contains(parameters.Parameter, p => p.Name == "version");
    }

    private static void AssertParameters(CapabilityStatement.ResourceComponent resource, params (string Name, SearchParamType Type)[] expected)
    {
        foreach (var (name, type) in expected)
        {
            var parameter = resource.SearchParam.SingleOrDefault(p => p.Name == name);
            Assert.True(parameter is not null, $"{resource.Type} does not list search parameter '{name}'.");
            Assert.Equal(type, parameter.Type);
            Assert.False(string.IsNullOrEmpty(parameter.Definition), $"{resource.Type}.{name} has no definition URL.");
        }
    }
}
