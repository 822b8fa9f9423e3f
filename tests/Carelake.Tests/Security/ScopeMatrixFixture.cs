using System.Net;
using System.Text.Json.Nodes;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Security;

/// <summary>
/// One secured server with two patients' records (A and B), a practitioner, and access tokens for each scope set of
/// the matrix, obtained through the real authorization-code flow.
/// </summary>
public sealed class ScopeMatrixFixture : IAsyncLifetime
{
    public const string Password = "correct horse battery staple";

    public TestServer Server { get; private set; } = null!;

    public AuthClient Auth { get; private set; } = null!;

    public Dictionary<string, string> Ids { get; } = [];

    public Dictionary<string, string> Tokens { get; } = [];

    public async Task InitializeAsync()
    {
        Server = await AuthClient.StartSecureAsync();
        Auth = new AuthClient(Server);
        async Task<string> Create(string key, Resource resource)
        {
            var id = (await Server.Services.Resources.CreateAsync(resource, CancellationToken.None)).Id;
            Ids[key] = id;
            return id;
        }

        var pA = await Create("pA", new Patient { Active = true, Gender = AdministrativeGender.Female });
        var pB = await Create("pB", new Patient { Active = true, Gender = AdministrativeGender.Male });
        var dr = await Create("dr", new Practitioner { Active = true });
        Observation Obs(string patient, string category) => new()
        {
            Status = ObservationStatus.Final,
            Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", category)],
            Code = new CodeableConcept("http://loinc.org", "718-7"),
            Subject = new ResourceReference($"Patient/{patient}"),
            Performer = [new ResourceReference($"Practitioner/{dr}")],
        };
        await Create("oA1", Obs(pA, "laboratory"));
        await Create("oA2", Obs(pA, "vital-signs"));
        await Create("oB1", Obs(pB, "laboratory"));
        await Create("cA", new Condition { Subject = new ResourceReference($"Patient/{pA}"), Code = new CodeableConcept("http://snomed.info/sct", "44054006") });
        await Create("cB", new Condition { Subject = new ResourceReference($"Patient/{pB}"), Code = new CodeableConcept("http://snomed.info/sct", "44054006") });

        await Auth.AddUserAsync("patA", Password, "patient", $"Patient/{pA}");
        await Auth.AddUserAsync("doc", Password, "clinician", $"Practitioner/{dr}");
        await Token("patient-all", "patA", "launch/patient patient/*.cruds");
        await Token("patient-obs", "patA", "launch/patient patient/Observation.rs");
        await Token("patient-lab", "patA", "launch/patient patient/Observation.rs?category=laboratory");
        await Token("patient-v1", "patA", "launch/patient patient/*.read");
        await Token("user-all", "doc", "user/*.cruds");
        await Token("user-obs", "doc", "user/Observation.rs");
        await Token("launch-write", "doc", "launch/patient patient/*.cruds", pA);
    }

    private async Task Token(string name, string user, string scope, string? patient = null) =>
        Tokens[name] = (await Auth.SignInAsync(user, Password, "openid " + scope, patient))["access_token"]!.GetValue<string>();

    public Task DisposeAsync() => Server.DisposeAsync();

    /// <summary>Replaces {pA}, {oB1} … in a path with the fixture's ids.</summary>
    public string Path(string template)
    {
        foreach (var (key, id) in Ids)
        {
            template = template.Replace("{" + key + "}", id, StringComparison.Ordinal);
        }

        return template;
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(string token, HttpMethod method, string path, string? json = null, string? contentType = null)
    {
        using var client = Auth.Fhir(Tokens[token]);
        using var request = new HttpRequestMessage(method, Path(path));
        if (json is not null)
        {
            request.Content = new StringContent(Path(json), System.Text.Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType ?? "application/fhir+json");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonNode.Parse(text) : null);
    }

    /// <summary>"Type/id" of the bundle's entries with the given search mode (null: all).</summary>
    public static List<string> Entries(JsonNode? bundle, string? mode = null) =>
        bundle?["entry"]?.AsArray()
            .Where(e => mode is null || e!["search"]?["mode"]?.GetValue<string>() == mode)
            .Where(e => e!["resource"] is not null)
            .Select(e => $"{e!["resource"]!["resourceType"]!.GetValue<string>()}/{e["resource"]!["id"]!.GetValue<string>()}")
            .ToList() ?? [];
}
