using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Text.Json.Nodes;
using System.Net.Http.Json;
using Carelake.Hosting;
using Carelake.Security;
using Microsoft.Extensions.DependencyInjection;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using FhirHttp = Carelake.Tests.Http.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Security;

/// <summary>Issue 6: the SMART authorization-code + PKCE flow over HTTP, refresh, revocation, userinfo, discovery, logout.</summary>
public sealed class AuthorizationCodeFlowTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private TestServer _server = null!;
    private AuthClient _auth = null!;
    private string _patientId = null!;

    public async Task InitializeAsync()
    {
        _server = await AuthClient.StartSecureAsync();
        _auth = new AuthClient(_server);
        var patient = await _server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None);
        _patientId = patient.Id;
        await _auth.AddUserAsync("alice", Password, "clinician", "Practitioner/p1");
        await _auth.AddUserAsync("pat", Password, "patient", $"Patient/{_patientId}");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Without_a_token_the_FHIR_API_answers_401_with_WWW_Authenticate_but_metadata_and_discovery_are_public()
    {
        using var anonymous = new HttpClient();
        using var read = await anonymous.GetAsync(_server.BaseUrl + $"/Patient/{_patientId}");
        await FhirHttp.ExpectOutcomeAsync(read, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", read.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        foreach (var path in new[] { "/Patient", "/", "/_history", "/Patient/x/$everything" })
        {
            using var response = await anonymous.GetAsync(_server.BaseUrl + path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var post = await anonymous.PostAsync(_server.BaseUrl + "/Patient", FhirHttp.JsonContent(new Patient()));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        using var admin = await anonymous.GetAsync(_auth.Origin + "/admin/users");
        Assert.Equal(HttpStatusCode.Unauthorized, admin.StatusCode);
        using var upper = await anonymous.GetAsync(_auth.Origin + $"/FHIR/Patient/{_patientId}");
        Assert.Equal(HttpStatusCode.Unauthorized, upper.StatusCode);
        using var adminUpper = await anonymous.GetAsync(_auth.Origin + "/ADMIN/users");
        Assert.Equal(HttpStatusCode.Unauthorized, adminUpper.StatusCode);

        var metadata = JsonNode.Parse(await anonymous.GetStringAsync(_server.BaseUrl + "/metadata"))!;
        Assert.Equal("SMART-on-FHIR", metadata["rest"]![0]!["security"]!["service"]![0]!["coding"]![0]!["code"]!.GetValue<string>());
        var smart = JsonNode.Parse(await anonymous.GetStringAsync(_auth.Origin + "/.well-known/smart-configuration"))!;
        Assert.Equal(_auth.Origin + "/auth/token", smart["token_endpoint"]!.GetValue<string>());
        Assert.Contains(smart["code_challenge_methods_supported"]!.AsArray(), m => m!.GetValue<string>() == "S256");
        Assert.Contains(smart["capabilities"]!.AsArray(), m => m!.GetValue<string>() == "permission-v2");
        // SMART v2: clients given only the FHIR base URL (iss) look for [base]/.well-known/smart-configuration.
        var atBase = JsonNode.Parse(await anonymous.GetStringAsync(_server.BaseUrl + "/.well-known/smart-configuration"))!;
        Assert.Equal(smart.ToJsonString(), atBase.ToJsonString());
        var oidc = JsonNode.Parse(await anonymous.GetStringAsync(_auth.Origin + "/.well-known/openid-configuration"))!;
        Assert.NotNull(oidc["jwks_uri"]);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(_auth.Origin + "/auth/login")).StatusCode);
    }

    [Fact]
    public async Task Dev_mode_answers_404_for_smart_configuration_and_needs_no_token()
    {
        var dev = new TestServer();
        await dev.InitializeAsync();
        try
        {
            using var anonymous = new HttpClient();
            Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(dev.BaseUrl[..^5] + "/.well-known/smart-configuration")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(dev.BaseUrl + "/Patient")).StatusCode);
        }
        finally
        {
            await dev.DisposeAsync();
        }
    }

    [Fact]
    public async Task Web_client_signs_a_clinician_in_with_PKCE_and_the_token_reads_FHIR_data()
    {
        var tokens = await _auth.SignInAsync("alice", Password, "openid fhirUser offline_access user/*.cruds");
        var scopes = tokens["scope"]!.GetValue<string>().Split(' ');
        Assert.Contains("user/*.cruds", scopes);
        Assert.NotNull(tokens["refresh_token"]);
        var id = new JwtSecurityTokenHandler().ReadJwtToken(tokens["id_token"]!.GetValue<string>());
        Assert.Equal("clinician", id.Claims.First(c => c.Type == "role").Value);
        Assert.Equal("Practitioner/p1", id.Claims.First(c => c.Type == "fhirUser").Value);
        Assert.Equal("alice", id.Claims.First(c => c.Type == "preferred_username").Value);

        using var fhir = _auth.Fhir(tokens["access_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync($"Patient/{_patientId}")).StatusCode);
        using var created = await fhir.PostAsync("Observation", FhirHttp.JsonContent(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "1-1"), Subject = new ResourceReference($"Patient/{_patientId}") }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var userinfo = JsonNode.Parse(await fhir.GetStringAsync(_auth.Origin + "/auth/userinfo"))!;
        Assert.Equal("clinician", userinfo["role"]!.GetValue<string>());
        Assert.Equal("alice", userinfo["preferred_username"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patient_user_gets_only_patient_scopes_and_the_token_response_names_the_patient()
    {
        var tokens = await _auth.SignInAsync("pat", Password, "openid fhirUser launch/patient offline_access user/*.cruds patient/*.rs");
        Assert.Equal(_patientId, tokens["patient"]!.GetValue<string>());
        var scopes = tokens["scope"]!.GetValue<string>().Split(' ');
        Assert.Contains("patient/*.rs", scopes);
        Assert.DoesNotContain("user/*.cruds", scopes);
        var id = new JwtSecurityTokenHandler().ReadJwtToken(tokens["id_token"]!.GetValue<string>());
        Assert.Equal($"Patient/{_patientId}", id.Claims.First(c => c.Type == "fhirUser").Value);
        Assert.Equal("patient", id.Claims.First(c => c.Type == "role").Value);
    }

    [Fact]
    public async Task Refresh_issues_new_tokens_and_a_revoked_refresh_token_is_refused()
    {
        var tokens = await _auth.SignInAsync("alice", Password, "openid offline_access user/*.rs");
        var refresh = tokens["refresh_token"]!.GetValue<string>();
        using var refreshed = await _auth.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["client_id"] = ClientService.WebClientId });
        var body = JsonNode.Parse(await refreshed.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var newRefresh = body["refresh_token"]!.GetValue<string>();
        using (var fhir = _auth.Fhir(body["access_token"]!.GetValue<string>()))
        {
            Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync($"Patient/{_patientId}")).StatusCode);
        }

        using var client = new HttpClient();
        using var revoke = await client.PostAsync(_auth.Origin + "/auth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = newRefresh, ["client_id"] = ClientService.WebClientId }));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using var replay = await _auth.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = newRefresh, ["client_id"] = ClientService.WebClientId });
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Contains("invalid_grant", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabling_a_user_ends_their_sessions_at_once_and_enabling_does_not_revive_them()
    {
        await _auth.AddUserAsync("carol", Password, "clinician", "Practitioner/p3");
        var tokens = await _auth.SignInAsync("carol", Password, "openid offline_access user/*.rs");
        using var fhir = _auth.Fhir(tokens["access_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync($"Patient/{_patientId}")).StatusCode);

        var users = _server.Provider.GetRequiredService<UserService>();
        Assert.True(await users.SetDisabledAsync("carol", disabled: true, CancellationToken.None));
        await FhirHttp.ExpectOutcomeAsync(await fhir.GetAsync($"Patient/{_patientId}"), HttpStatusCode.Unauthorized);
        using var refresh = await _auth.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>(), ["client_id"] = ClientService.WebClientId });
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);

        Assert.True(await users.SetDisabledAsync("carol", disabled: false, CancellationToken.None));
        await FhirHttp.ExpectOutcomeAsync(await fhir.GetAsync($"Patient/{_patientId}"), HttpStatusCode.Unauthorized);

        // Another user's session is untouched.
        var alice = await _auth.SignInAsync("alice", Password, "openid user/*.rs");
        using var aliceFhir = _auth.Fhir(alice["access_token"]!.GetValue<string>());
        Assert.True(await users.SetDisabledAsync("carol", disabled: true, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await aliceFhir.GetAsync($"Patient/{_patientId}")).StatusCode);
    }

    [Fact]
    public async Task A_public_client_may_refresh_without_client_id_as_RFC_6749_allows_and_fhirclient_does()
    {
        var tokens = await _auth.SignInAsync("alice", Password, "openid offline_access user/*.rs");
        var refresh = tokens["refresh_token"]!.GetValue<string>();
        using var refreshed = await _auth.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh });
        var body = await refreshed.Content.ReadAsStringAsync();
        Assert.True(refreshed.StatusCode == HttpStatusCode.OK, body);
        using (var fhir = _auth.Fhir(JsonNode.Parse(body)!["access_token"]!.GetValue<string>()))
        {
            Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync($"Patient/{_patientId}")).StatusCode);
        }

        // It rolled (a new refresh token), and the anonymous path does not accept just anything.
        Assert.NotEqual(refresh, JsonNode.Parse(body)!["refresh_token"]!.GetValue<string>());
        using var garbage = await _auth.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = "not-a-token" });
        Assert.NotEqual(HttpStatusCode.OK, garbage.StatusCode);
    }

    [Fact]
    public async Task Revoked_access_token_is_refused_at_once()
    {
        var tokens = await _auth.SignInAsync("alice", Password, "openid user/*.rs");
        var access = tokens["access_token"]!.GetValue<string>();
        using var fhir = _auth.Fhir(access);
        Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync($"Patient/{_patientId}")).StatusCode);
        using var client = new HttpClient();
        using var revoke = await client.PostAsync(_auth.Origin + "/auth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = access, ["client_id"] = ClientService.WebClientId }));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using var after = await fhir.GetAsync($"Patient/{_patientId}");
        await FhirHttp.ExpectOutcomeAsync(after, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Wrong_PKCE_verifier_and_foreign_redirect_uri_are_refused()
    {
        var (_, challenge) = AuthClient.Pkce();
        using var foreign = await _auth.Browser.GetAsync(_auth.AuthorizeUrl("openid user/*.rs", challenge, redirectUri: "https://evil.example/callback"));
        Assert.NotEqual(HttpStatusCode.Redirect, foreign.StatusCode);

        using var first = await _auth.Browser.GetAsync(_auth.AuthorizeUrl("openid user/*.rs", challenge));
        var login = first.Headers.Location!.OriginalString;
        using var posted = await _auth.LoginAsync(Uri.UnescapeDataString(login[(login.IndexOf("returnUrl=", StringComparison.Ordinal) + 10)..]), "alice", Password);
        var code = await _auth.ConsentAsync(posted.Headers.Location!.OriginalString);
        using var exchange = await _auth.TokenAsync(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = _auth.Origin + "/callback",
            ["client_id"] = ClientService.WebClientId,
            ["code_verifier"] = AuthClient.Pkce().Verifier,
        });
        Assert.Equal(HttpStatusCode.BadRequest, exchange.StatusCode);
    }

    [Fact]
    public async Task Authorization_naming_another_FHIR_server_as_aud_gets_an_error_at_the_redirect_uri_and_no_sign_in()
    {
        var (_, challenge) = AuthClient.Pkce();
        var right = _auth.AuthorizeUrl("openid user/*.rs", challenge);
        var counterfeit = right.Replace("&aud=" + Uri.EscapeDataString(_server.BaseUrl), "&aud=" + Uri.EscapeDataString("https://counterfeit.example/fhir"), StringComparison.Ordinal);
        Assert.NotEqual(right, counterfeit);
        using var refused = await _auth.Browser.GetAsync(counterfeit);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        var location = refused.Headers.Location!.OriginalString;
        Assert.StartsWith(_auth.Origin + "/callback?", location, StringComparison.Ordinal);
        Assert.Contains("error=invalid_request", location, StringComparison.Ordinal);

        // This server's FHIR base URL (with or without a trailing slash) goes on to the sign-in page.
        foreach (var url in new[] { right, right.Replace("&aud=" + Uri.EscapeDataString(_server.BaseUrl), "&aud=" + Uri.EscapeDataString(_server.BaseUrl + "/"), StringComparison.Ordinal) })
        {
            using var accepted = await _auth.Browser.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
            Assert.StartsWith("/auth/login?returnUrl=", accepted.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Introspection_reports_an_active_token_to_a_confidential_client()
    {
        await _auth.AddClientAsync(new ClientSpec { ClientId = "resource-server", Kind = ClientKind.Confidential, Secret = "resource-server-secret-123", RedirectUris = ["https://rs.example/cb"], Scopes = "user/*.rs", Introspection = true });
        var tokens = await _auth.SignInAsync("alice", Password, "openid user/*.rs");
        using var client = new HttpClient();
        using var response = await client.PostAsync(_auth.Origin + "/auth/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = tokens["access_token"]!.GetValue<string>(),
            ["client_id"] = "resource-server",
            ["client_secret"] = "resource-server-secret-123",
        }));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body["active"]!.GetValue<bool>(), body.ToJsonString() + string.Join(",", new JwtSecurityTokenHandler().ReadJwtToken(tokens["access_token"]!.GetValue<string>()).Claims.Select(c => c.Type + "=" + c.Value)));
    }

    [Fact]
    public async Task Ehr_launch_binds_the_launched_patient_to_the_token()
    {
        var clinician = await _auth.SignInAsync("alice", Password, "openid user/*.cruds");
        using var fhir = _auth.Fhir(clinician["access_token"]!.GetValue<string>());
        using var created = await fhir.PostAsJsonAsync(_auth.Origin + "/auth/launch", new { patient = _patientId });
        var launch = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["launch"]!.GetValue<string>();

        var tokens = await _auth.SignInAsync("alice", Password, "openid launch patient/*.rs", launch: launch);
        Assert.Equal(_patientId, tokens["patient"]!.GetValue<string>());
        using var app = _auth.Fhir(tokens["access_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync($"Patient/{_patientId}")).StatusCode);
        var other = await _server.Services.Resources.CreateAsync(new Patient { Active = false }, CancellationToken.None);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync($"Patient/{other.Id}")).StatusCode);
    }

    [Fact]
    public async Task Standalone_launch_patient_lets_a_clinician_pick_the_patient_on_the_consent_page()
    {
        var tokens = await _auth.SignInAsync("alice", Password, "openid launch/patient patient/*.rs", patient: _patientId);
        Assert.Equal(_patientId, tokens["patient"]!.GetValue<string>());
        Assert.Contains("patient/*.rs", tokens["scope"]!.GetValue<string>().Split(' '));
    }

    [Fact]
    public async Task Web_app_scopes_for_a_clinician_without_a_picked_patient_drop_the_patient_context()
    {
        var tokens = await _auth.SignInAsync("alice", Password, "openid fhirUser offline_access launch/patient user/*.cruds patient/*.rs");
        Assert.Null(tokens["patient"]);
        var scopes = tokens["scope"]!.GetValue<string>().Split(' ');
        Assert.Contains("user/*.cruds", scopes);
        Assert.DoesNotContain("patient/*.rs", scopes);
        Assert.DoesNotContain("launch/patient", scopes);
    }

    [Fact]
    public async Task Demo_accounts_are_written_to_demo_credentials_txt_and_can_sign_in()
    {
        var options = _server.Provider.GetRequiredService<CarelakeOptions>();
        await DemoAccounts.EnsureAsync(_server.Provider, _server.Services, options, CancellationToken.None);
        var lines = await File.ReadAllLinesAsync(Path.Combine(_server.DataDir, "demo-credentials.txt"));
        Assert.Equal(["admin administrator", "clinician clinician", "patient patient"], lines.Select(l => l.Split(' ')).Select(p => $"{p[0]} {p[2]}"));
        var patient = lines.Single(l => l.StartsWith("patient ", StringComparison.Ordinal)).Split(' ');
        var tokens = await _auth.SignInAsync("patient", patient[1], "openid fhirUser launch/patient patient/*.rs");
        Assert.NotNull(tokens["patient"]);

        // A second start keeps the accounts and the file.
        await DemoAccounts.EnsureAsync(_server.Provider, _server.Services, options, CancellationToken.None);
        Assert.Equal(lines, await File.ReadAllLinesAsync(Path.Combine(_server.DataDir, "demo-credentials.txt")));
    }

    [Fact]
    public async Task Logout_ends_the_session_and_redirects_to_the_origin()
    {
        await _auth.SignInAsync("alice", Password, "openid user/*.rs");
        using var logout = await _auth.Browser.GetAsync("auth/logout?post_logout_redirect_uri=" + Uri.EscapeDataString(_auth.Origin + "/"));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(_auth.Origin + "/", logout.Headers.Location!.OriginalString);
        var (_, challenge) = AuthClient.Pkce();
        using var again = await _auth.Browser.GetAsync(_auth.AuthorizeUrl("openid user/*.rs", challenge));
        Assert.StartsWith("/auth/login", again.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }
}
