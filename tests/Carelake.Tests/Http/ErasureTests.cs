using System.Net;
using System.Text;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>$expunge: erasure of a resource with its whole history, administrators only, recorded (issue F3).</summary>
public sealed class ErasureTests : IAsyncLifetime
{
    private const string AdminToken = "test-admin-token-0123456789abcdef";

    private readonly TestServer _server = new() { Configure = o => o.AdminToken = AdminToken };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private Task<HttpResponseMessage> ExpungeAsync(string path, string? token, Resource? body = null) =>
        _server.Client.SendAsync(HttpMethod.Post, $"{path}/$expunge", body is null ? null : Fhir.JsonContent(body), token is null ? [] : [("Authorization", $"Bearer {token}")]);

    // SQLite only: it reads the database file for leftover bytes. PostgreSQL vacuums erased rows but does not zero
    // freed pages (docs/postgresql.md); the HTTP half of this test is Expunge_on_postgres_leaves_no_row_behind.
    [Fact]
    [Trait("Provider", "SqliteOnly")]
    public async Task Expunge_removes_every_version_and_every_trace_from_the_database_file_and_records_it()
    {
        var marker = "Erasable" + Guid.NewGuid().ToString("N")[..10];
        var patient = await _server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = marker }], Contained = [new Practitioner { Id = "gp", Name = [new HumanName { Family = marker + "Doc" }] }] });
        patient.BirthDate = "1970-01-01";
        await _server.Client.PutAsync(patient);
        Assert.Single(await _server.Client.SearchIdsAsync($"Patient?family={marker}"));

        var reason = new Parameters { Parameter = [new Parameters.ParameterComponent { Name = "reason", Value = new FhirString("Right-to-erasure request 2026-117") }] };
        using (var response = await ExpungeAsync($"Patient/{patient.Id}", AdminToken, reason))
        {
            await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
            var result = await Fhir.ReadAsync<Parameters>(response);
            Assert.Equal(2, ((UnsignedInt)result.Parameter.Single(p => p.Name == "versions").Value!).Value);
            var record = ((ResourceReference)result.Parameter.Single(p => p.Name == "record").Value!).Reference!;
            var audit = await _server.Client.GetResourceAsync<AuditEvent>(record);
            Assert.Equal($"Patient/{patient.Id}", audit.Entity[0].What!.Reference);
            Assert.Equal("Right-to-erasure request 2026-117", audit.Entity[0].Description);
            Assert.Equal(AuditEvent.AuditEventAction.D, audit.Action);
        }

        // Gone as if it never existed: 404 (not 410), no history, no versions, no search hits.
        foreach (var path in new[] { $"Patient/{patient.Id}", $"Patient/{patient.Id}/_history", $"Patient/{patient.Id}/_history/1" })
        {
            using var gone = await _server.Client.GetAsync(path);
            await Fhir.ExpectOutcomeAsync(gone, HttpStatusCode.NotFound);
        }

        Assert.Empty(await _server.Client.SearchIdsAsync($"Patient?family={marker}"));
        Assert.Empty(await _server.Client.SearchIdsAsync($"Patient?_content={marker}"));
        Assert.Empty((await _server.Client.GetResourceAsync<Bundle>($"Practitioner?family={marker}&_contained=true")).Entry);

        // Not in the files either: the freed pages were overwritten, and the expunge returns once both write-ahead logs
        // were truncated (the index file's words are gone from it too). Read as they are, with no checkpoint here.
        foreach (var file in new[] { "carelake.db", "carelake.db-wal", "carelake.db-text", "carelake.db-text-wal" })
        {
            var path = Path.Combine(_server.DataDir, file);
            if (!File.Exists(path))
            {
                continue;
            }

            var bytes = await File.ReadAllBytesAsync(path);
            Assert.True(bytes.Length > 0 || file.EndsWith("-wal", StringComparison.Ordinal), file);
            Assert.DoesNotContain(marker, Encoding.UTF8.GetString(bytes), StringComparison.OrdinalIgnoreCase);
        }

        using var again = await ExpungeAsync($"Patient/{patient.Id}", AdminToken);
        await Fhir.ExpectOutcomeAsync(again, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Expunge_is_refused_without_the_administrator_token()
    {
        // With authentication on (no --dev): no token is 401, a wrong static token is 401, the configured one acts as administrator.
        var secured = new TestServer { Configure = o => { o.Dev = false; o.AdminToken = AdminToken; } };
        await secured.InitializeAsync();
        try
        {
            using var created = await secured.Client.SendAsync(HttpMethod.Post, "Patient", Fhir.JsonContent(new Patient { Active = true }), [("Authorization", $"Bearer {AdminToken}")]);
            var patient = await Fhir.ReadAsync<Patient>(created);
            using (var anonymous = await secured.Client.SendAsync(HttpMethod.Post, $"Patient/{patient.Id}/$expunge", null, []))
            {
                await Fhir.ExpectOutcomeAsync(anonymous, HttpStatusCode.Unauthorized);
            }

            using (var wrong = await secured.Client.SendAsync(HttpMethod.Post, $"Patient/{patient.Id}/$expunge", null, [("Authorization", $"Bearer {AdminToken}x")]))
            {
                await Fhir.ExpectOutcomeAsync(wrong, HttpStatusCode.Unauthorized);
            }

            using var read = await secured.Client.SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", null, [("Authorization", $"Bearer {AdminToken}")]);
            Assert.Equal(patient.Id, (await Fhir.ReadAsync<Patient>(read)).Id);
            using var erased = await secured.Client.SendAsync(HttpMethod.Post, $"Patient/{patient.Id}/$expunge", null, [("Authorization", $"Bearer {AdminToken}")]);
            await Fhir.ExpectStatusAsync(erased, HttpStatusCode.OK);
        }
        finally
        {
            await secured.DisposeAsync();
        }
    }
}
