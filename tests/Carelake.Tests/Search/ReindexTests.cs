using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>A SearchParameter resource becomes searchable after $reindex, for resources stored before and after.</summary>
public sealed class ReindexTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task A_custom_search_parameter_is_usable_after_reindex_and_listed_in_the_CapabilityStatement()
    {
        var code = "eye-color-" + Guid.NewGuid().ToString("N")[..6];
        var extension = "http://example.org/fhir/StructureDefinition/" + code;
        var colour = Fhir.Unique("blue");
        Patient PatientWith(string value) => new() { Extension = [new Extension(extension, new FhirString(value))] };
        var before = await server.Client.CreateAsync(PatientWith(colour));
        await server.Client.CreateAsync(PatientWith("green"));

        await server.Client.CreateAsync(new SearchParameter
        {
            Url = "http://example.org/fhir/SearchParameter/" + code,
            Name = code,
            Status = PublicationStatus.Active,
            Description = "Eye colour",
            Code = code,
            Base = [ResourceType.Patient],
            Type = SearchParamType.String,
            Expression = $"Patient.extension('{extension}').value",
        });

        var strict = await server.Client.SendAsync(HttpMethod.Get, $"Patient?{code}={colour}", null, ("Prefer", "handling=strict"));
        await Fhir.ExpectOutcomeAsync(strict, HttpStatusCode.BadRequest);

        using var start = await server.Client.PostAsync("$reindex", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var status = start.Content.Headers.ContentLocation ?? start.Headers.GetValues("Content-Location").Select(v => new Uri(v)).First();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpResponseMessage poll;
        do
        {
            await Task.Delay(100);
            poll = await server.Client.GetAsync(status);
        }
        while (poll.StatusCode == HttpStatusCode.Accepted && DateTime.UtcNow < deadline);

        var result = await Fhir.ReadAsync<Parameters>(poll);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Equal("completed", result.GetSingleValue<Code>("status")!.Value);

        var after = await server.Client.CreateAsync(PatientWith(colour + "-too"));
        var found = await server.Client.SearchIdsAsync($"Patient?{code}={colour}");
        Assert.Equal(new[] { before.Id!, after.Id! }.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));

        var capabilities = await server.Client.GetResourceAsync<CapabilityStatement>("metadata");
        Assert.Contains(capabilities.Rest[0].Resource.Single(r => r.Type == "Patient").SearchParam, p => p.Name == code);
    }

    [Fact]
    public async Task An_unknown_job_is_404()
    {
        await Fhir.ExpectOutcomeAsync(await server.Client.GetAsync("_job/nope"), HttpStatusCode.NotFound);
    }
}
