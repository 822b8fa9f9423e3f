using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Codes bound to required value sets are indexed with their implicit system.</summary>
public sealed class TokenSystemTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Gender_matches_with_and_without_its_implicit_code_system()
    {
        var family = Fhir.Unique("Tok");
        var patient = await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = family }], Gender = AdministrativeGender.Female });

        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"Patient?family={family}&gender=female"));
        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"Patient?family={family}&gender=http://hl7.org/fhir/administrative-gender|female"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Patient?family={family}&gender=http://example.org/other|female"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Patient?family={family}&gender=|female"));
    }

    [Fact]
    public async Task Observation_status_matches_with_its_implicit_code_system()
    {
        var code = Fhir.Unique("c");
        var observation = await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://example.org/codes", code),
        });

        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?code={code}&status=http://hl7.org/fhir/observation-status|final"));
    }
}
