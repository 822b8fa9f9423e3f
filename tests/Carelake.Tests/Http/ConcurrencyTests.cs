using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Concurrent writers on one resource: no lost update, and If-Match lets exactly one of them win.</summary>
public sealed class ConcurrencyTests(TestServer server) : IClassFixture<TestServer>
{
    private const int Clients = 8;

    [Fact]
    public async Task Concurrent_updates_without_If_Match_all_succeed_and_every_version_is_kept()
    {
        for (var round = 0; round < 3; round++)
        {
            var patient = await server.Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Race")));
            var requests = Enumerable.Range(0, Clients).Select(i =>
            {
                var copy = (Patient)patient.DeepCopy();
                copy.Name[0].Given = [$"writer{i}"];
                return Fhir.Request(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(copy));
            }).ToList();

            var responses = await Task.WhenAll(requests.Select(r => server.Client.SendAsync(r)));

            try
            {
                Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
                var etags = responses.Select(Fhir.ETagOf).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(Enumerable.Range(2, Clients).Select(v => $"W/\"{v}\"").Order(StringComparer.Ordinal), etags);
                var current = await server.Client.GetResourceAsync<Patient>($"Patient/{patient.Id}");
                Assert.Equal((1 + Clients).ToString(System.Globalization.CultureInfo.InvariantCulture), current.Meta?.VersionId);
                var history = await server.Client.WalkPagesAsync($"Patient/{patient.Id}/_history");
                var versions = history.SelectMany(p => p.Entry).Select(e => int.Parse(e.Resource!.Meta!.VersionId!, System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
                Assert.Equal(Enumerable.Range(1, 1 + Clients), versions);
                var writers = history.SelectMany(p => p.Entry).Where(e => e.Resource!.Meta!.VersionId != "1")
                    .Select(e => ((Patient)e.Resource!).Name[0].Given.Single()).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(Enumerable.Range(0, Clients).Select(i => $"writer{i}").Order(StringComparer.Ordinal), writers);
            }
            finally
            {
                foreach (var response in responses)
                {
                    response.Dispose();
                }
            }
        }
    }

    [Fact]
    public async Task Concurrent_updates_with_the_same_If_Match_let_exactly_one_win()
    {
        for (var round = 0; round < 3; round++)
        {
            var patient = await server.Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("IfMatchRace")));
            var requests = Enumerable.Range(0, Clients).Select(i =>
            {
                var copy = (Patient)patient.DeepCopy();
                copy.Name[0].Given = [$"writer{i}"];
                return Fhir.Request(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(copy), ("If-Match", "W/\"1\""));
            }).ToList();

            var responses = await Task.WhenAll(requests.Select(r => server.Client.SendAsync(r)));

            try
            {
                var winners = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
                var winner = Assert.Single(winners);
                Assert.All(responses.Except(winners), r => Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode));
                foreach (var loser in responses.Except(winners))
                {
                    await Fhir.ExpectOutcomeAsync(loser, HttpStatusCode.PreconditionFailed);
                }

                var winnerGiven = (await Fhir.ReadAsync<Patient>(winner)).Name[0].Given.Single();
                var current = await server.Client.GetResourceAsync<Patient>($"Patient/{patient.Id}");
                Assert.Equal("2", current.Meta?.VersionId);
                Assert.Equal(winnerGiven, current.Name[0].Given.Single());
                Assert.Equal(2, (await server.Client.GetResourceAsync<Bundle>($"Patient/{patient.Id}/_history")).Entry.Count);
            }
            finally
            {
                foreach (var response in responses)
                {
                    response.Dispose();
                }
            }
        }
    }
}
