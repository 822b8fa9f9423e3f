using Carelake.Import;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>What issue F2 says users will try, that no other test does: provenance by reverse include, and a 10,000-page walk.</summary>
public sealed class UsersWillTryTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Revinclude_of_Provenance_by_target_brings_the_provenance_of_each_match()
    {
        var patient = await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = Fhir.Unique("Prov") }] });
        var provenance = await server.Client.CreateAsync(new Provenance
        {
            Target = [new ResourceReference($"Patient/{patient.Id}")],
            Recorded = DateTimeOffset.UtcNow,
            Agent = [new Provenance.AgentComponent { Who = new ResourceReference { Display = "Registration desk" } }],
        });

        var bundle = await server.Client.GetResourceAsync<Bundle>($"Patient?_id={patient.Id}&_revinclude=Provenance:target");
        Assert.Equal(
            [("Patient", patient.Id!, Bundle.SearchEntryMode.Match), ("Provenance", provenance.Id!, Bundle.SearchEntryMode.Include)],
            bundle.Entry.Select(e => (e.Resource!.TypeName, e.Resource.Id!, e.Search!.Mode!.Value)).ToList());
    }

    [Fact]
    public async Task Walking_ten_thousand_pages_returns_every_match_once_in_order()
    {
        const int total = 10_000;
        var code = Fhir.Unique("walk");
        var resources = Enumerable.Range(0, total).Select(i => (Resource)new Observation
        {
            Id = $"walk-{i:D5}-{code}",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://example.org/walk", code),
            Value = new Quantity(i, "1", "http://unitsofmeasure.org"),
        }).ToList();
        var summary = new ImportSummary();
        await new ResourceImporter(server.Services).ImportResourcesAsync(resources, summary, null, CancellationToken.None);
        Assert.Equal(0, summary.Failed);

        var seen = new List<string>(total);
        string? url = $"Observation?code=http://example.org/walk|{code}&_count=1";
        var pages = 0;
        while (url is not null)
        {
            var page = await server.Client.GetResourceAsync<Bundle>(url);
            seen.AddRange(Fhir.MatchIds(page));
            url = Fhir.NextLink(page);
            Assert.True(++pages <= total, "the next links do not end");
        }

        Assert.Equal(total, pages);
        Assert.Equal(resources.Select(r => r.Id!), seen);
    }
}
