using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carelake.Hosting;
using Carelake.Tests.Infrastructure;

namespace Carelake.Tests.Import;

/// <summary>The 50 Synthea transaction bundles in shared/data import completely, by CLI and by POST to the base URL.</summary>
public sealed class SyntheaImportTests : IDisposable
{
    private readonly TempFolder _dataDir = new("synthea-");

    private static string BundleFolder => SharedData.PathOf("synthea", "r4-transaction-bundles");

    [Fact]
    public async Task Cli_import_of_the_Synthea_bundles_creates_every_resource()
    {
        var (exitCode, output) = await ServerProcess.RunCliAsync("import", BundleFolder, "--data-dir", _dataDir.Path);

        Assert.True(exitCode == 0, output);
        Assert.Contains("0 failed", output, StringComparison.Ordinal);
        var options = await TestPostgres.OptionsForAsync(_dataDir.Path);
        await using var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, CancellationToken.None);
        var counts = await services.Store.CountByTypeAsync(CancellationToken.None);
        Assert.Equal(ExpectedCounts(), counts.ToDictionary(kv => kv.Key, kv => kv.Value));
    }

    [Fact]
    public async Task Posting_each_Synthea_bundle_to_the_base_creates_every_entry_and_rewrites_urn_uuid_references()
    {
        var server = new TestServer();
        await server.InitializeAsync();
        try
        {
            foreach (var file in Directory.GetFiles(BundleFolder, "*.json").Order(StringComparer.Ordinal))
            {
                using var content = new ByteArrayContent(await File.ReadAllBytesAsync(file));
                content.Headers.ContentType = new("application/fhir+json");
                using var response = await server.Client.PostAsync(server.BaseUrl, content);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{Path.GetFileName(file)}: {(int)response.StatusCode} {body[..Math.Min(500, body.Length)]}");
                var entries = JsonNode.Parse(body)!["entry"]!.AsArray();
                Assert.All(entries, e => Assert.StartsWith("201", e!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal));
            }

            var counts = await server.Services.Store.CountByTypeAsync(CancellationToken.None);
            Assert.Equal(ExpectedCounts(), counts.ToDictionary(kv => kv.Key, kv => kv.Value));

            // Every Observation's subject now names a stored Patient (no urn:uuid left behind).
            using var search = await server.Client.GetAsync("Observation?_count=50");
            var page = JsonNode.Parse(await search.Content.ReadAsStringAsync())!;
            foreach (var entry in page["entry"]!.AsArray())
            {
                var subject = entry!["resource"]!["subject"]!["reference"]!.GetValue<string>();
                Assert.StartsWith("Patient/", subject, StringComparison.Ordinal);
                using var patient = await server.Client.GetAsync(subject);
                Assert.Equal(HttpStatusCode.OK, patient.StatusCode);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Counts per type computed from the bundle files themselves: an independent expectation.</summary>
    private static Dictionary<string, long> ExpectedCounts()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(BundleFolder, "*.json"))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var entry in document.RootElement.GetProperty("entry").EnumerateArray())
            {
                var type = entry.GetProperty("resource").GetProperty("resourceType").GetString()!;
                counts[type] = counts.GetValueOrDefault(type) + 1;
            }
        }

        return counts;
    }

    public void Dispose() => _dataDir.Dispose();
}
