using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Carelake.Tests.Infrastructure;
using Carelake.Tests.Security;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>
/// Issue 7 acceptance: the trail is readable by administrators and auditors only — a patient-in-context token gets
/// 403 — and security events (sign-in failure and success, token issue, break-glass) are audited with their actor.
/// </summary>
public sealed class AuditAccessTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private TestServer _server = null!;
    private AuthClient _auth = null!;
    private string _patient = null!;

    public async Task InitializeAsync()
    {
        _server = await AuthClient.StartSecureAsync();
        _auth = new AuthClient(_server);
        _patient = (await _server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        await _auth.AddUserAsync("pat", Password, "patient", $"Patient/{_patient}");
        await _auth.AddUserAsync("doc", Password, "clinician");
        await _auth.AddUserAsync("aud", Password, "auditor");
        await _auth.AddUserAsync("adm", Password, "administrator");
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    private async Task<string> TokenAsync(string user, string scope) =>
        (await _auth.SignInAsync(user, Password, "openid " + scope))["access_token"]!.GetValue<string>();

    [Fact]
    public async Task A_patient_in_context_token_cannot_read_AuditEvents()
    {
        using var patient = _auth.Fhir(await TokenAsync("pat", "launch/patient patient/*.rs"));
        using var clinician = _auth.Fhir(await TokenAsync("doc", "user/*.cruds"));
        (await clinician.GetAsync($"Patient/{_patient}")).Dispose();
        var any = (await _server.Services.AuditLog.SearchAsync(new Core.Audit.AuditQuery([], null, null, 1, false, null), CancellationToken.None))[0].Id;

        foreach (var path in new[] { "AuditEvent", $"AuditEvent?patient=Patient/{_patient}", $"AuditEvent/{any}", $"Patient/{_patient}/AuditEvent" })
        {
            using var response = await patient.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden || (response.StatusCode == HttpStatusCode.OK && !body.Contains("\"AuditEvent\"", StringComparison.Ordinal)), $"{path}: {response.StatusCode} {body}");
        }

        using var asClinician = await clinician.GetAsync($"AuditEvent?patient=Patient/{_patient}");
        Assert.Equal(HttpStatusCode.Forbidden, asClinician.StatusCode);
    }

    /// <summary>The scopes the web app asks for, read from its source (web/src/auth.tsx) so the two cannot drift.</summary>
    private static string WebAppScopes()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "web", "src", "auth.tsx")))
        {
            dir = dir.Parent;
        }

        var source = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new InvalidOperationException("web/src/auth.tsx not found above the test binaries"), "web", "src", "auth.tsx"));
        return System.Text.RegularExpressions.Regex.Match(source, "export const SCOPES = \"([^\"]+)\"").Groups[1].Value;
    }

    [Theory]
    [InlineData("adm")]
    [InlineData("aud")]
    public async Task Issue_8_an_administrator_or_auditor_signed_in_through_the_web_app_reads_the_trail(string user)
    {
        var scopes = WebAppScopes();
        Assert.Contains("user/AuditEvent.rs", scopes, StringComparison.Ordinal);
        // The web app is a user-level app: no launch/patient, so the consent page asks for no patient and the token has none.
        Assert.DoesNotContain("launch/patient", scopes, StringComparison.Ordinal);
        var tokens = await _auth.SignInAsync(user, Password, scopes);
        Assert.Null(tokens["patient"]);
        using var client = _auth.Fhir(tokens["access_token"]!.GetValue<string>());

        using var response = await client.GetAsync($"AuditEvent?patient=Patient/{_patient}&_count=5");

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_administrator_token_with_a_patient_in_context_is_still_refused_the_trail()
    {
        var tokens = await _auth.SignInAsync("adm", Password, "openid launch/patient user/*.cruds patient/*.rs", patient: _patient);
        Assert.Equal(_patient, tokens["patient"]!.GetValue<string>());
        using var client = _auth.Fhir(tokens["access_token"]!.GetValue<string>());

        using var response = await client.GetAsync("AuditEvent");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Issue_8_the_user_list_gives_the_id_that_audit_records_name_as_agent()
    {
        using var admin = _auth.Fhir(await TokenAsync("adm", "user/*.cruds"));
        var users = JsonNode.Parse(await admin.GetStringAsync(_auth.Origin + "/admin/users"))!.AsArray();
        var doc = users.Single(u => u!["userName"]!.GetValue<string>() == "doc")!;
        var id = doc["id"]!.GetValue<string>();
        using var clinician = _auth.Fhir(await TokenAsync("doc", "user/*.cruds"));
        (await clinician.GetAsync($"Patient/{_patient}")).Dispose();

        var bundle = Http.Fhir.Parse<Bundle>(await admin.GetStringAsync($"AuditEvent?agent={Uri.EscapeDataString(id)}&entity=Patient/{_patient}&subtype=read"));

        var audit = (AuditEvent)Assert.Single(bundle.Entry).Resource!;
        Assert.Equal(id, audit.Agent[0].Who!.Identifier!.Value);
    }

    [Fact]
    public async Task An_auditor_sees_who_accessed_a_patient_in_one_query()
    {
        using var clinician = _auth.Fhir(await TokenAsync("doc", "user/*.cruds"));
        using var read = await clinician.GetAsync($"Patient/{_patient}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var auditor = _auth.Fhir(await TokenAsync("aud", "user/AuditEvent.rs"));

        using var response = await auditor.GetAsync($"AuditEvent?patient=Patient/{_patient}&subtype=read");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = Http.Fhir.Parse<Bundle>(await response.Content.ReadAsStringAsync());
        var audit = (AuditEvent)Assert.Single(bundle.Entry).Resource!;
        Assert.Equal("clinician", audit.Agent[0].Role[0].Coding[0].Code);
        Assert.NotEqual("anonymous/dev", audit.Agent[0].Who!.Identifier!.Value);
        Assert.Equal(Carelake.Security.ClientService.WebClientId, audit.Agent[1].Who!.Identifier!.Value);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, audit.Outcome);
    }

    [Fact]
    public async Task The_patient_compartment_of_AuditEvent_lists_the_records_naming_that_patient_for_an_auditor_only()
    {
        var other = (await _server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        using var clinician = _auth.Fhir(await TokenAsync("doc", "user/*.cruds"));
        (await clinician.GetAsync($"Patient/{_patient}")).Dispose();
        (await clinician.GetAsync($"Patient/{other}")).Dispose();
        using var auditor = _auth.Fhir(await TokenAsync("aud", "user/AuditEvent.rs"));

        using var response = await auditor.GetAsync($"Patient/{_patient}/AuditEvent?subtype=read");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = Http.Fhir.Parse<Bundle>(await response.Content.ReadAsStringAsync());
        var audit = (AuditEvent)Assert.Single(bundle.Entry).Resource!;
        Assert.Contains(audit.Entity, e => e.What?.Reference == $"Patient/{_patient}");
        Assert.DoesNotContain(audit.Entity, e => e.What?.Reference == $"Patient/{other}");
        using var asClinician = await clinician.GetAsync($"Patient/{_patient}/AuditEvent");
        Assert.Equal(HttpStatusCode.Forbidden, asClinician.StatusCode);
    }

    [Fact]
    public async Task Sign_in_failure_and_success_and_token_issue_are_audited()
    {
        var head = await AuditTrailReader.HeadAsync(_server);
        using (var failed = await _auth.LoginAsync("/", "doc", "wrong password"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        await TokenAsync("doc", "user/*.rs");

        var records = await AuditTrailReader.AfterAsync(_server, head);
        var logins = records.Where(r => r.Subtype[0].Code == "login").ToList();
        Assert.Contains(logins, r => r.Outcome == AuditEvent.AuditEventOutcome.N4 && r.Agent[0].Who!.Identifier!.Value == "login:doc");
        Assert.Contains(logins, r => r.Outcome == AuditEvent.AuditEventOutcome.N0 && r.Agent[0].Who!.Identifier!.Value == "login:doc");
        Assert.Contains(records, r => r.Subtype[0].Code == "token-issue" && r.Outcome == AuditEvent.AuditEventOutcome.N0);
        Assert.All(records, r => Assert.NotEqual("anonymous/dev", r.Agent[0].Who!.Identifier!.Value));
    }

    [Fact]
    public async Task Break_glass_and_user_changes_are_audited_as_security_events()
    {
        await _auth.AddUserAsync("root", Password, "administrator");
        using var clinician = _auth.Fhir(await TokenAsync("doc", "user/*.cruds"));
        using var admin = _auth.Fhir(await TokenAsync("root", "user/*.cruds"));
        var head = await AuditTrailReader.HeadAsync(_server);

        using var glass = await clinician.PostAsJsonAsync(_auth.Origin + "/auth/break-glass", new { reason = "Unconscious patient in the emergency room" });
        using var user = await admin.PostAsJsonAsync(_auth.Origin + "/admin/users", new { userName = "nurse", password = Password, role = "clinician" });

        Assert.True(glass.IsSuccessStatusCode, await glass.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        var records = await AuditTrailReader.AfterAsync(_server, head);
        var alert = Assert.Single(records, r => r.Subtype[0].Code == "break-glass");
        Assert.Equal("110113", alert.Type!.Code);
        Assert.Equal("clinician", alert.Agent[0].Role[0].Coding[0].Code);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, alert.Outcome);
        var change = Assert.Single(records, r => r.Subtype[0].Code == "admin-change");
        Assert.Equal("administrator", change.Agent[0].Role[0].Coding[0].Code);
        Assert.DoesNotContain(records, r => r.Entity.Any(e => e.Description?.Contains("Unconscious", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task The_safeguards_report_is_an_admin_API_that_fails_honestly()
    {
        await _auth.AddUserAsync("admin", Password, "administrator");
        using var admin = _auth.Fhir(await TokenAsync("admin", "user/*.cruds"));
        using var clinician = _auth.Fhir(await TokenAsync("doc", "user/*.cruds"));

        using var forbidden = await clinician.GetAsync(_auth.Origin + "/admin/compliance");
        using var response = await admin.GetAsync(_auth.Origin + "/admin/compliance");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var checks = report["checks"]!.AsArray().ToDictionary(c => c!["id"]!.GetValue<string>(), c => c!["passed"]!.GetValue<bool>());
        Assert.True(checks["unique-user-ids"]);
        Assert.True(checks["emergency-access"]);
        Assert.True(checks["audit-controls"]);
        Assert.False(checks["encryption-at-rest"]);
        Assert.False(checks["transmission-security"]);
        Assert.False(report["passed"]!.GetValue<bool>());
    }
}
