using System.Diagnostics;
using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Npgsql;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Issue F4 "users will try": exhausting the connection pool is a prompt 503, not a hang, and passes.</summary>
[Trait("Provider", "PostgresOnly")]
public sealed class ConnectionPoolTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "carelake-tests", "pool-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_request_that_finds_the_pool_exhausted_gets_503_within_the_timeout_and_the_server_recovers()
    {
        var database = await TestPostgres.DatabaseForAsync(_dataDir);
        await using var server = await ServerProcess.StartAsync(_dataDir, "--dev", "--database", database + ";Maximum Pool Size=1;Timeout=2");
        using var created = await _client.PostAsync($"{server.BaseUrl}/Patient", Fhir.JsonContent(new Patient { Name = [new HumanName { Family = "Pool" }] }));
        var patient = await Fhir.ReadAsync<Patient>(created);

        // Another client of the database holds the patient's row lock: the server's update waits on it while holding
        // the node's only pooled connection.
        await using var blocker = new NpgsqlConnection(database + ";Pooling=false");
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM resource WHERE type = 'Patient' AND id = @id FOR UPDATE", blocker, transaction))
        {
            lockRow.Parameters.AddWithValue("id", patient.Id!);
            await lockRow.ExecuteScalarAsync();
        }

        patient.BirthDate = "1980-01-01";
        var update = _client.PutAsync($"{server.BaseUrl}/Patient/{patient.Id}", Fhir.JsonContent(patient));
        await Task.Delay(1000);

        var started = Stopwatch.StartNew();
        using (var starved = await _client.GetAsync($"{server.BaseUrl}/Patient/{patient.Id}"))
        {
            await Fhir.ExpectOutcomeAsync(starved, HttpStatusCode.ServiceUnavailable);
        }

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"The starved request took {started.Elapsed.TotalSeconds:F1} s.");

        await transaction.RollbackAsync();
        using (var updated = await update)
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        }

        using var read = await _client.GetAsync($"{server.BaseUrl}/Patient/{patient.Id}");
        Assert.Equal("1980-01-01", (await Fhir.ReadAsync<Patient>(read)).BirthDate);
    }
}
