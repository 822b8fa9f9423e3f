using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Carelake.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Security;

/// <summary>
/// Issue 6: automatic logoff of the interactive sign-in session after the configured idle time, and backend clients
/// whose keys are registered by URL following a key rotation at that URL.
/// </summary>
public sealed class SessionAndClientKeyTests
{
    private const string Password = "correct horse battery staple";
    private const string AdminToken = "session-and-keys-admin-token";

    [Fact]
    public async Task Sign_in_session_ends_after_the_configured_idle_time_while_use_keeps_it_alive()
    {
        // 6 seconds; the cookie slides (renewed once more than half of it has passed).
        var server = await AuthClient.StartSecureAsync(o => o.Auth.IdleTimeoutMinutes = 0.1);
        try
        {
            var auth = new AuthClient(server);
            await auth.AddUserAsync("alice", Password, "clinician");
            var authorize = auth.AuthorizeUrl("openid user/*.rs", AuthClient.Pkce().Challenge);
            using (var login = await auth.LoginAsync("/" + authorize, "alice", Password))
            {
                Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            }

            async Task<string> AuthorizeAsync()
            {
                using var response = await auth.Browser.GetAsync(authorize);
                return response.StatusCode == HttpStatusCode.OK ? "consent" : response.Headers.Location?.OriginalString ?? response.StatusCode.ToString();
            }

            // In use: a request every second, for longer than the idle time, keeps the session. (The cookie is renewed
            // by the first request after 3 s; with a request every 2.5 s that one came at 5 s plus two requests'
            // latency, which a loaded CI machine pushed past the 6 s.)
            var signedIn = DateTime.UtcNow;
            while (DateTime.UtcNow - signedIn < TimeSpan.FromSeconds(9))
            {
                Assert.Equal("consent", await AuthorizeAsync());
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            // Idle for longer than the timeout: the next authorization asks to sign in again.
            await Task.Delay(TimeSpan.FromSeconds(7.5));
            Assert.StartsWith("/auth/login?returnUrl=", await AuthorizeAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Backend_client_registered_by_JWKS_URL_follows_a_key_rotation_there_and_drops_the_removed_key()
    {
        await using var jwks = await JwksHost.StartAsync();
        var oldKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "lab-2026-01" };
        var newKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "lab-2026-07" };
        jwks.Serve(oldKey);
        var server = await AuthClient.StartSecureAsync(o =>
        {
            o.AdminToken = AdminToken;
            o.Auth.JwksRefetchSeconds = 0;
        });
        try
        {
            var auth = new AuthClient(server);
            await RegisterAsync(auth, jwks.Url);
            Assert.Equal(1, jwks.Requests);
            Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(auth, oldKey));
            Assert.Equal(1, jwks.Requests); // a known key id within the cache time: no fetch

            jwks.Serve(newKey);
            Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(auth, newKey));
            Assert.Equal(2, jwks.Requests);
            // The old key is gone from the URL, so it is gone here too.
            Assert.NotEqual(HttpStatusCode.OK, await ClientCredentialsAsync(auth, oldKey));
            Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(auth, newKey));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unknown_key_ids_do_not_make_the_server_fetch_a_JWKS_URL_more_than_once_per_interval()
    {
        await using var jwks = await JwksHost.StartAsync();
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k1" };
        jwks.Serve(key);
        var server = await AuthClient.StartSecureAsync(o => o.AdminToken = AdminToken); // JwksRefetchSeconds: 30
        try
        {
            var auth = new AuthClient(server);
            await RegisterAsync(auth, jwks.Url);
            for (var i = 0; i < 3; i++)
            {
                var stranger = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "unknown-" + i };
                Assert.NotEqual(HttpStatusCode.OK, await ClientCredentialsAsync(auth, stranger));
            }

            Assert.Equal(1, jwks.Requests); // the registration's fetch is less than 30 s old
            Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(auth, key));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Through the admin API, with the body docs/security.md shows (the kind by name).</summary>
    private static async Task RegisterAsync(AuthClient auth, string jwksUrl)
    {
        using var admin = new HttpClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        using var created = await admin.PostAsJsonAsync(auth.Origin + "/admin/clients", new { clientId = "lab-sync", kind = "Backend", scopes = "system/*.rs", jwksUrl });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }

    private static async Task<HttpStatusCode> ClientCredentialsAsync(AuthClient auth, RsaSecurityKey key)
    {
        var assertion = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "lab-sync",
            Audience = auth.Origin + "/auth/token",
            Claims = new Dictionary<string, object> { ["sub"] = "lab-sync", ["jti"] = Guid.NewGuid().ToString("N") },
            Expires = DateTime.UtcNow.AddMinutes(4),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha384),
        });
        using var response = await auth.TokenAsync(new()
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "system/Patient.rs",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
        });
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal("system/Patient.rs", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["scope"]!.GetValue<string>());
        }
        else
        {
            Assert.Contains("invalid_client", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        return response.StatusCode;
    }

    /// <summary>A backend client's key host on loopback: serves the current public JWKS and counts the fetches.</summary>
    private sealed class JwksHost : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private volatile string _document = """{"keys":[]}""";
        private int _requests;

        private JwksHost(WebApplication app) => _app = app;

        public string Url { get; private set; } = string.Empty;

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<JwksHost> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var host = new JwksHost(app);
            app.MapGet("/.well-known/jwks.json", () =>
            {
                Interlocked.Increment(ref host._requests);
                return Results.Text(host._document, "application/json");
            });
            await app.StartAsync();
            host.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/.well-known/jwks.json";
            return host;
        }

        /// <summary>From now on the URL publishes only this key (a rotation that also retires the previous one).</summary>
        public void Serve(RsaSecurityKey key)
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
            _document = new JsonObject { ["keys"] = new JsonArray(new JsonObject { ["kty"] = "RSA", ["kid"] = jwk.Kid, ["n"] = jwk.N, ["e"] = jwk.E, ["alg"] = "RS384", ["use"] = "sig" }) }.ToJsonString();
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
