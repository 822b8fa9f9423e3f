using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Carelake.Security;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using System.Net.Http.Json;
using FhirHttp = Carelake.Tests.Http.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Security;

/// <summary>
/// Issue 6: rejected tokens (expired, not yet valid, wrong audience, wrong issuer, alg none, bad signature, revoked),
/// backend services (client credentials with private_key_jwt, RS384 and ES384), lockout, break-glass, admin API.
/// Forged tokens are re-signed copies of a real one with the server's own key, so each differs in one thing only.
/// </summary>
public sealed class TokenValidationTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private TestServer _server = null!;
    private AuthClient _auth = null!;
    private string _patientId = null!;

    public async Task InitializeAsync()
    {
        _server = await AuthClient.StartSecureAsync(o => o.Auth.LockoutThreshold = 3);
        _auth = new AuthClient(_server);
        _patientId = (await _server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
        await _auth.AddUserAsync("alice", Password, "clinician");
        await _auth.AddUserAsync("victim", Password, "analyst");
        await _auth.AddUserAsync("root", Password, "administrator");
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    private async Task<string> AccessTokenAsync(string user = "alice") =>
        (await _auth.SignInAsync(user, Password, "openid user/*.cruds"))["access_token"]!.GetValue<string>();

    private async Task<HttpStatusCode> ReadWithAsync(string token)
    {
        using var fhir = _auth.Fhir(token);
        using var response = await fhir.GetAsync($"Patient/{_patientId}");
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            await FhirHttp.ExpectOutcomeAsync(response, HttpStatusCode.Unauthorized);
        }

        return response.StatusCode;
    }

    /// <summary>Re-signs the token's header and (changed) payload with the server's newest signing key.</summary>
    private string Forge(string token, Action<JsonObject> change, string? header = null)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!.AsObject();
        change(payload);
        var head = header ?? parts[0];
        var body = Base64UrlEncoder.Encode(payload.ToJsonString());
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Directory.GetFiles(SigningKeys.Folder(_server.DataDir), "signing-*.pem").Order(StringComparer.Ordinal).Last()));
        var signature = rsa.SignData(Encoding.ASCII.GetBytes($"{head}.{body}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{head}.{body}.{AuthClient.Base64Url(signature)}";
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public async Task A_faithful_re_signed_copy_is_accepted_which_makes_the_forgeries_below_meaningful()
    {
        var token = await AccessTokenAsync();
        Assert.Equal(HttpStatusCode.OK, await ReadWithAsync(Forge(token, _ => { })));
    }

    [Fact]
    public async Task Expired_token_is_rejected()
    {
        var token = await AccessTokenAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync(Forge(token, p => { p["iat"] = Now - 7200; p["exp"] = Now - 3600; })));
    }

    [Fact]
    public async Task Not_yet_valid_token_is_rejected()
    {
        var token = await AccessTokenAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync(Forge(token, p => { p["nbf"] = Now + 3600; p["exp"] = Now + 7200; })));
    }

    [Fact]
    public async Task Token_for_another_audience_is_rejected()
    {
        var token = await AccessTokenAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync(Forge(token, p => p["aud"] = "https://other.example/fhir")));
    }

    [Fact]
    public async Task Token_from_another_issuer_is_rejected()
    {
        var token = await AccessTokenAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync(Forge(token, p => p["iss"] = "https://evil.example/")));
    }

    [Fact]
    public async Task Unsigned_alg_none_token_is_rejected()
    {
        var token = await AccessTokenAsync();
        var parts = token.Split('.');
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"at+jwt\"}");
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync($"{header}.{parts[1]}."));
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync($"{header}.{parts[1]}"));
    }

    [Fact]
    public async Task Token_with_a_bad_signature_is_rejected()
    {
        var token = await AccessTokenAsync();
        var parts = token.Split('.');
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[10] ^= 0xFF;
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync($"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}"));

        // Signed with a key the server never had, under the server's key id.
        using var stranger = RSA.Create(2048);
        var body = Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("user/*.cruds", "system/*.cruds", StringComparison.Ordinal));
        var forged = stranger.SignData(Encoding.ASCII.GetBytes($"{parts[0]}.{body}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync($"{parts[0]}.{body}.{AuthClient.Base64Url(forged)}"));
    }

    [Fact]
    public async Task Garbage_and_revoked_tokens_are_rejected()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync("not-a-token"));
        var token = await AccessTokenAsync();
        using var client = new HttpClient();
        using var revoke = await client.PostAsync(_auth.Origin + "/auth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["client_id"] = ClientService.WebClientId }));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWithAsync(token));
    }

    [Theory]
    [InlineData("RS384")]
    [InlineData("ES384")]
    public async Task Backend_service_gets_a_system_token_with_a_private_key_jwt_assertion(string algorithm)
    {
        var clientId = "backend-" + algorithm.ToLowerInvariant();
        AsymmetricSecurityKey key = algorithm == "RS384"
            ? new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k-" + algorithm }
            : new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP384)) { KeyId = "k-" + algorithm };
        var jwk = key is RsaSecurityKey rsa ? JsonWebKeyConverter.ConvertFromRSASecurityKey(rsa) : JsonWebKeyConverter.ConvertFromECDsaSecurityKey((ECDsaSecurityKey)key);
        var publicJwk = new JsonObject { ["kty"] = jwk.Kty, ["kid"] = jwk.Kid, ["alg"] = algorithm, ["use"] = "sig" };
        if (jwk.Kty == "RSA")
        {
            publicJwk["n"] = jwk.N;
            publicJwk["e"] = jwk.E;
        }
        else
        {
            publicJwk["crv"] = jwk.Crv;
            publicJwk["x"] = jwk.X;
            publicJwk["y"] = jwk.Y;
        }

        await _auth.AddClientAsync(new ClientSpec { ClientId = clientId, Kind = ClientKind.Backend, Scopes = "system/*.rs", Jwks = new JsonObject { ["keys"] = new JsonArray(publicJwk) }.ToJsonString() });
        string Assertion(SecurityKey signingKey) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = _auth.Origin + "/auth/token",
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            Expires = DateTime.UtcNow.AddMinutes(4),
            SigningCredentials = new SigningCredentials(signingKey, algorithm),
        });

        using var response = await _auth.TokenAsync(new()
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "system/Patient.rs system/Observation.rs",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(key),
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var tokens = JsonNode.Parse(body)!;
        Assert.Equal("system/Patient.rs system/Observation.rs", tokens["scope"]!.GetValue<string>());
        using (var fhir = _auth.Fhir(tokens["access_token"]!.GetValue<string>()))
        {
            Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync($"Patient/{_patientId}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync("Observation")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await fhir.GetAsync("Condition")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await fhir.PostAsync("Patient", FhirHttp.JsonContent(new Patient()))).StatusCode);
        }

        // An assertion signed by another key is refused.
        AsymmetricSecurityKey other = algorithm == "RS384" ? new RsaSecurityKey(RSA.Create(2048)) { KeyId = key.KeyId } : new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP384)) { KeyId = key.KeyId };
        using var forged = await _auth.TokenAsync(new()
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "system/*.rs",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(other),
        });
        Assert.True(forged.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, forged.StatusCode.ToString());
        Assert.Contains("invalid_client", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var greedy = await _auth.TokenAsync(new()
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "system/*.cruds",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(key),
        });
        // Asking for more than the registration allows is narrowed to what it allows.
        Assert.Equal(HttpStatusCode.OK, greedy.StatusCode);
        Assert.Equal("system/*.rs", JsonNode.Parse(await greedy.Content.ReadAsStringAsync())!["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task Repeated_wrong_passwords_lock_the_account_even_for_the_right_password()
    {
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await _auth.LoginAsync("/auth/authorize", "victim", "not the password " + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var right = await _auth.LoginAsync("/auth/authorize", "victim", Password);
        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Contains("locked", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // An administrator unlocks it.
        var admin = await AccessTokenAsync("root");
        using var fhir = _auth.Fhir(admin);
        using var enable = await fhir.PostAsync(_auth.Origin + "/admin/users/victim/enable", null);
        Assert.Equal(HttpStatusCode.NoContent, enable.StatusCode);
        using var again = await _auth.LoginAsync("/auth/authorize", "victim", Password);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
    }

    [Fact]
    public async Task Token_and_login_endpoints_are_rate_limited()
    {
        var limited = await AuthClient.StartSecureAsync(o => o.Auth.RateLimitPerMinute = 3);
        try
        {
            var auth = new AuthClient(limited);
            var statuses = new List<HttpStatusCode>();
            string lastBody = string.Empty;
            TimeSpan? retryAfter = null;
            for (var i = 0; i < 5; i++)
            {
                using var response = await auth.TokenAsync(new() { ["grant_type"] = "client_credentials", ["client_id"] = "nobody" });
                statuses.Add(response.StatusCode);
                lastBody = await response.Content.ReadAsStringAsync();
                retryAfter = response.Headers.RetryAfter?.Delta;
            }

            Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
            Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(3));
            // The refusal says when to retry, in the token endpoint's own (OAuth error) form.
            Assert.InRange(retryAfter!.Value.TotalSeconds, 1, 60);
            using (var error = System.Text.Json.JsonDocument.Parse(lastBody))
            {
                Assert.Equal("temporarily_unavailable", error.RootElement.GetProperty("error").GetString());
                Assert.Contains("Try again in", error.RootElement.GetProperty("error_description").GetString(), StringComparison.Ordinal);
            }

            // The login page shares the budget of the same client address (and answers with a page); the FHIR metadata does not.
            using var login = await auth.Browser.GetAsync("auth/login");
            Assert.Equal(HttpStatusCode.TooManyRequests, login.StatusCode);
            Assert.Equal("text/html", login.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Too many attempts", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.NotNull(login.Headers.RetryAfter);
            using var client = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(limited.BaseUrl + "/metadata")).StatusCode);
        }
        finally
        {
            await limited.DisposeAsync();
        }
    }

    [Fact]
    public async Task Admin_api_refuses_a_clinician_and_serves_an_administrator()
    {
        using (var clinician = _auth.Fhir(await AccessTokenAsync("alice")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await clinician.GetAsync(_auth.Origin + "/admin/users")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await clinician.PostAsync($"Patient/{_patientId}/$expunge", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await clinician.PostAsync("$reindex", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await clinician.GetAsync(_auth.Origin + "/api/status")).StatusCode);
        }

        using (var anonymous = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(_auth.Origin + "/api/status")).StatusCode);
        }

        using var admin = _auth.Fhir(await AccessTokenAsync("root"));
        var status = JsonNode.Parse(await admin.GetStringAsync(_auth.Origin + "/api/status"))!;
        Assert.Equal(TestPostgres.Enabled ? "PostgreSQL" : "SQLite", status["storage"]!.GetValue<string>());
        Assert.True(status["auditRecordsWritten"]!.GetValue<long>() > 0, "the sign-ins and requests before were audited");
        using var created = await admin.PostAsJsonAsync(_auth.Origin + "/admin/users", new { userName = "bob", password = "a long enough password", role = "analyst" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var users = JsonNode.Parse(await admin.GetStringAsync(_auth.Origin + "/admin/users"))!.AsArray();
        Assert.Contains(users, u => u!["userName"]!.GetValue<string>() == "bob" && u["role"]!.GetValue<string>() == "analyst");
        using var weak = await admin.PostAsJsonAsync(_auth.Origin + "/admin/users", new { userName = "eve", password = "short", role = "analyst" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
    }

    [Fact]
    public async Task Issue_8_the_admin_api_registers_clients_by_kind_name_and_removes_them()
    {
        using var admin = _auth.Fhir(await AccessTokenAsync("root"));

        using var spa = await admin.PostAsJsonAsync(_auth.Origin + "/admin/clients", new { clientId = "spa-1", kind = "public", redirectUris = new[] { "https://app.example/cb" }, scopes = "openid user/*.rs" });
        using var server = await admin.PostAsJsonAsync(_auth.Origin + "/admin/clients", new { clientId = "srv-1", kind = "Confidential", secret = "a secret of 16+ chars", redirectUris = new[] { "https://srv.example/cb" }, scopes = "openid user/*.rs" });
        using var noSecret = await admin.PostAsJsonAsync(_auth.Origin + "/admin/clients", new { clientId = "srv-2", kind = "confidential", redirectUris = new[] { "https://srv.example/cb" }, scopes = "openid" });

        Assert.Equal(HttpStatusCode.Created, spa.StatusCode);
        Assert.Equal(HttpStatusCode.Created, server.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noSecret.StatusCode);
        Assert.Contains("secret", JsonNode.Parse(await noSecret.Content.ReadAsStringAsync())!["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
        var clients = JsonNode.Parse(await admin.GetStringAsync(_auth.Origin + "/admin/clients"))!.AsArray();
        Assert.Contains(clients, c => c!["clientId"]!.GetValue<string>() == "spa-1" && c["type"]!.GetValue<string>() == "public");
        Assert.Contains(clients, c => c!["clientId"]!.GetValue<string>() == "srv-1" && c["type"]!.GetValue<string>() == "confidential");
        using var removed = await admin.DeleteAsync(_auth.Origin + "/admin/clients/spa-1");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using var again = await admin.DeleteAsync(_auth.Origin + "/admin/clients/spa-1");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Break_glass_needs_a_reason_is_recorded_and_opens_restricted_records()
    {
        var restricted = await _server.Services.Resources.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "2-2"),
            Subject = new ResourceReference($"Patient/{_patientId}"),
            Meta = new Meta { Security = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")] },
        }, CancellationToken.None);
        using var fhir = _auth.Fhir(await AccessTokenAsync("alice"));
        await FhirHttp.ExpectOutcomeAsync(await fhir.GetAsync($"Observation/{restricted.Id}"), HttpStatusCode.Forbidden);
        var search = JsonNode.Parse(await fhir.GetStringAsync($"Observation?subject=Patient/{_patientId}"))!;
        Assert.Null(search["entry"]);

        using (var noReason = await fhir.PostAsJsonAsync(_auth.Origin + "/auth/break-glass", new { reason = "" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        }

        using (var declared = await fhir.PostAsJsonAsync(_auth.Origin + "/auth/break-glass", new { reason = "Unconscious patient in the emergency department" }))
        {
            Assert.Equal(HttpStatusCode.OK, declared.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync($"Observation/{restricted.Id}")).StatusCode);
        var after = JsonNode.Parse(await fhir.GetStringAsync($"Observation?subject=Patient/{_patientId}"))!;
        Assert.Single(after["entry"]!.AsArray());

        // Recorded for the audit trail, with the reason; and analysts (not clinicians) cannot break the glass.
        await using (var db = await _server.Provider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<AuthDbContext>>().CreateDbContextAsync())
        {
            var record = Assert.Single(db.BreakGlassEvents);
            Assert.Equal("Unconscious patient in the emergency department", record.Reason);
            Assert.Equal(ClientService.WebClientId, record.ClientId);
        }

        using var analyst = _auth.Fhir((await _auth.SignInAsync("victim", Password, "openid user/*.rs"))["access_token"]!.GetValue<string>());
        using var refused = await analyst.PostAsJsonAsync(_auth.Origin + "/auth/break-glass", new { reason = "Just curious about this record" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }
}
