using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Carelake.Hosting;
using Carelake.Tests.Infrastructure;

namespace Carelake.Tests.Cli;

/// <summary>The `carelake` executable as a user runs it: configuration errors, import, generate, health, shutdown, logs.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempFolder _work = new("cli-");

    public CliTests() => Directory.CreateDirectory(_work.Path);

    [Fact]
    public async Task Invalid_configuration_stops_serve_with_exit_code_2_and_a_clear_message()
    {
        var (exitCode, output) = await ServerProcess.RunCliAsync("serve", "--data-dir", Path.Combine(_work.Path, "d"), "--urls", "ftp://127.0.0.1:1");

        Assert.Equal(2, exitCode);
        Assert.Contains("configuration is invalid", output, StringComparison.Ordinal);
        Assert.Contains("ftp://127.0.0.1:1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var (command, option) in new[] { ("serve", "--demo"), ("import", "--data-dir"), ("generate", "--patients") })
        {
            var (exitCode, output) = await ServerProcess.RunCliAsync(command, "--help");
            Assert.Equal(0, exitCode);
            Assert.Contains(option, output, StringComparison.Ordinal);
            Assert.Contains("Usage", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Generate_is_deterministic_for_a_seed_and_import_of_its_output_is_idempotent()
    {
        var first = Path.Combine(_work.Path, "gen1");
        var second = Path.Combine(_work.Path, "gen2");
        Assert.Equal(0, (await ServerProcess.RunCliAsync("generate", "--patients", "5", "--seed", "3", "--out", first)).ExitCode);
        Assert.Equal(0, (await ServerProcess.RunCliAsync("generate", "--patients", "5", "--seed", "3", "--out", second)).ExitCode);
        foreach (var file in Directory.GetFiles(first))
        {
            Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(second, Path.GetFileName(file))));
        }

        var dataDir = Path.Combine(_work.Path, "data");
        var (exitCode, output) = await ServerProcess.RunCliAsync("import", first, "--data-dir", dataDir);
        Assert.True(exitCode == 0, output);
        var lines = Directory.GetFiles(first, "*.ndjson").Sum(f => File.ReadLines(f).Count(l => l.Length > 0));
        Assert.Contains($"{lines} created, 0 updated, 0 failed", output, StringComparison.Ordinal);

        // Importing again updates the same resources (client ids) instead of duplicating them.
        var (again, againOutput) = await ServerProcess.RunCliAsync("import", first, "--data-dir", dataDir);
        Assert.True(again == 0, againOutput);
        Assert.Contains($"0 created, {lines} updated, 0 failed", againOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_reports_each_failure_with_its_reason_and_exits_non_zero_while_importing_the_rest()
    {
        var folder = Path.Combine(_work.Path, "mixed");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "good.json"), """{"resourceType":"Patient","id":"good-1","name":[{"family":"Good"}]}""");
        await File.WriteAllTextAsync(Path.Combine(folder, "broken.json"), """{"resourceType":"Patient","id":"x", "birthDate":"not-a-date"}""");
        await File.WriteAllTextAsync(Path.Combine(folder, "garbage.json"), "this is not json");
        await File.WriteAllTextAsync(Path.Combine(folder, "lines.ndjson"),
            "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}\n{\"resourceType\":\"Observation\",\"id\":\"o2\",\"status\":\"bogus\",\"code\":{\"text\":\"x\"}}\n");
        var dataDir = Path.Combine(_work.Path, "data");

        var (exitCode, output) = await ServerProcess.RunCliAsync("import", folder, "--data-dir", dataDir);

        Assert.Equal(1, exitCode);
        Assert.Contains("2 created, 0 updated, 3 failed", output, StringComparison.Ordinal);
        Assert.Contains("broken.json", output, StringComparison.Ordinal);
        Assert.Contains("Patient.birthDate", output, StringComparison.Ordinal);
        Assert.Contains("garbage.json", output, StringComparison.Ordinal);
        Assert.Contains("lines.ndjson:2", output, StringComparison.Ordinal);
        await using var services = await CarelakeServices.OpenAsync(await TestPostgres.OptionsForAsync(dataDir), TimeProvider.System, CancellationToken.None);
        Assert.NotNull(await services.Store.ReadAsync("Patient", "good-1", CancellationToken.None));
        Assert.NotNull(await services.Store.ReadAsync("Observation", "o1", CancellationToken.None));
    }

    [Fact]
    public async Task Import_of_a_missing_path_exits_2()
    {
        var (exitCode, output) = await ServerProcess.RunCliAsync("import", Path.Combine(_work.Path, "nope"), "--data-dir", Path.Combine(_work.Path, "data"));
        Assert.Equal(2, exitCode);
        Assert.Contains("nope", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_demo_loads_patients_once_answers_health_probes_and_shuts_down_gracefully_on_SIGTERM()
    {
        var dataDir = Path.Combine(_work.Path, "demo");
        await using (var server = await ServerProcess.StartAsync(dataDir, "--demo", "--dev"))
        {
            using var client = new HttpClient();
            var root = server.BaseUrl[..server.BaseUrl.LastIndexOf("/fhir", StringComparison.Ordinal)];
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(root + "/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(root + "/readyz")).StatusCode);
            var bundle = JsonNode.Parse(await client.GetStringAsync(server.BaseUrl + "/Patient?_count=5"))!;
            Assert.Equal("searchset", bundle["type"]!.GetValue<string>());
            Assert.Equal(5, bundle["entry"]!.AsArray().Count);
            Assert.Contains(bundle["link"]!.AsArray(), l => l!["relation"]!.GetValue<string>() == "next");

            Assert.Equal(0, await server.TerminateAsync());
        }

        // Second start on the same folder: the demo data is not loaded again.
        await using var again = await ServerProcess.StartAsync(dataDir, "--demo", "--dev");
        await Task.Delay(200);
        Assert.Contains("nothing loaded", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_logs_carry_correlation_ids_but_never_names_identifiers_or_query_values()
    {
        await using var server = await ServerProcess.StartAsync(Path.Combine(_work.Path, "logs"), "--dev");
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Add("X-Request-Id", "trace-me-42");
        const string Name = "Qxzvbnmwyk";
        const string Mrn = "MRN-7734219";
        var body = $$"""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"{{Mrn}}"}],"name":[{"family":"{{Name}}"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(server.BaseUrl + "/Patient", content)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{server.BaseUrl}/Patient?family={Name}&identifier=urn:mrn|{Mrn}")).StatusCode);
        using var bad = new StringContent($$"""{"resourceType":"Patient","name":[{"family":"{{Name}}"}],"birthDate":"{{Mrn}}"}""", Encoding.UTF8, "application/fhir+json");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(server.BaseUrl + "/Patient", bad)).StatusCode);
        await server.TerminateAsync();

        var output = server.Output;
        Assert.Contains("trace-me-42", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Name, output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Mrn, output, StringComparison.Ordinal);
    }

    public void Dispose() => _work.Dispose();
}
