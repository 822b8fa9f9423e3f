using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Carelake.Hosting;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
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

/// <summary>Issue 6: an external OpenID Connect issuer (JWKS discovery, claim mapping), CORS, HTTPS with a PEM certificate, transport rules.</summary>
public sealed class TransportAndFederationTests
{
    [Fact]
    public async Task Tokens_of_a_configured_external_issuer_are_accepted_with_their_role_and_patient_mapped()
    {
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "idp-1" };
        await using var idp = await FakeIssuer.StartAsync(key);
        var server = await AuthClient.StartSecureAsync(o => o.Auth.External = new Carelake.Security.ExternalIssuerOptions
        {
            Authority = idp.Issuer,
            Audience = "carelake",
            AllowHttp = true,
            RoleMap = new() { ["physicians"] = "clinician", ["portal-patients"] = "patient" },
        });
        try
        {
            var mine = (await server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
            var other = (await server.Services.Resources.CreateAsync(new Patient { Active = true }, CancellationToken.None)).Id;
            string Token(Dictionary<string, object> claims, string audience = "carelake", string? issuer = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = issuer ?? idp.Issuer,
                Audience = audience,
                Claims = claims,
                Expires = DateTime.UtcNow.AddMinutes(5),
                SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
            });
            async Task<HttpStatusCode> Read(string token, string path)
            {
                using var client = new HttpClient();
                client.DefaultRequestHeaders.Authorization = new("Bearer", token);
                return (await client.GetAsync($"{server.BaseUrl}/{path}")).StatusCode;
            }

            var physician = Token(new() { ["sub"] = "dr-x", ["roles"] = new[] { "staff", "physicians" } });
            Assert.Equal(HttpStatusCode.OK, await Read(physician, $"Patient/{other}"));
            var patient = Token(new() { ["sub"] = "p-x", ["roles"] = "portal-patients", ["patient"] = mine, ["scope"] = "patient/*.rs" });
            Assert.Equal(HttpStatusCode.OK, await Read(patient, $"Patient/{mine}"));
            Assert.Equal(HttpStatusCode.Forbidden, await Read(patient, $"Patient/{other}"));
            Assert.Equal(HttpStatusCode.Unauthorized, await Read(Token(new() { ["sub"] = "x", ["roles"] = "visitors" }), $"Patient/{mine}"));
            Assert.Equal(HttpStatusCode.Unauthorized, await Read(Token(new() { ["sub"] = "x", ["roles"] = "physicians" }, audience: "someone-else"), $"Patient/{mine}"));
            Assert.Equal(HttpStatusCode.Unauthorized, await Read(Token(new() { ["sub"] = "x", ["roles"] = "physicians" }, issuer: "http://evil.example"), $"Patient/{mine}"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Cors_preflight_is_answered_for_a_configured_origin_only()
    {
        var server = await AuthClient.StartSecureAsync(o => o.Auth.CorsOrigins = ["https://app.example"]);
        try
        {
            using var client = new HttpClient();
            async Task<HttpResponseMessage> Preflight(string origin)
            {
                using var request = new HttpRequestMessage(HttpMethod.Options, server.BaseUrl + "/Patient");
                request.Headers.Add("Origin", origin);
                request.Headers.Add("Access-Control-Request-Method", "GET");
                request.Headers.Add("Access-Control-Request-Headers", "authorization");
                return await client.SendAsync(request);
            }

            using var allowed = await Preflight("https://app.example");
            Assert.Equal("https://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
            using var refused = await Preflight("https://evil.example");
            Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Https_with_a_PEM_certificate_serves_the_API_over_TLS()
    {
        var folder = Path.Combine(Path.GetTempPath(), "carelake-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(folder, "cert.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(folder, "key.pem"), rsa.ExportPkcs8PrivateKeyPem());
        var server = await AuthClient.StartSecureAsync(o =>
        {
            o.Urls = "https://127.0.0.1:0";
            o.Tls.CertificatePath = Path.Combine(folder, "cert.pem");
            o.Tls.KeyPath = Path.Combine(folder, "key.pem");
        });
        try
        {
            Assert.StartsWith("https://", server.BaseUrl, StringComparison.Ordinal);
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == certificate.Thumbprint };
            using var client = new HttpClient(handler);
            using var metadata = await client.GetAsync(server.BaseUrl + "/metadata");
            Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
            using var smart = await client.GetAsync(server.BaseUrl[..^5] + "/.well-known/smart-configuration");
            Assert.StartsWith("https://", JsonNode.Parse(await smart.Content.ReadAsStringAsync())!["token_endpoint"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Plain_HTTP_beyond_loopback_is_refused_unless_behind_a_proxy_or_in_dev_mode()
    {
        Assert.Contains(new CarelakeOptions { Urls = "http://0.0.0.0:8080" }.Validate(), e => e.Contains("plain HTTP", StringComparison.Ordinal));
        Assert.Contains(new CarelakeOptions { Urls = "http://*:8080" }.Validate(), e => e.Contains("plain HTTP", StringComparison.Ordinal));
        Assert.Empty(new CarelakeOptions { Urls = "http://localhost:8080;http://127.0.0.1:9000;http://[::1]:9001" }.Validate());
        var proxied = new CarelakeOptions { Urls = "http://0.0.0.0:8080" };
        proxied.Tls.BehindProxy = true;
        Assert.Empty(proxied.Validate());
        Assert.Empty(new CarelakeOptions { Urls = "http://0.0.0.0:8080", Dev = true }.Validate());
        Assert.Contains(new CarelakeOptions { Urls = "https://0.0.0.0:8443" }.Validate(), e => e.Contains("certificate", StringComparison.Ordinal));
    }

    /// <summary>A minimal OpenID Connect issuer on loopback: discovery and JWKS only.</summary>
    private sealed class FakeIssuer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeIssuer(WebApplication app, string issuer)
        {
            _app = app;
            Issuer = issuer;
        }

        public string Issuer { get; }

        public static async Task<FakeIssuer> StartAsync(RsaSecurityKey key)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
            app.MapGet("/.well-known/openid-configuration", (HttpContext http) => Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = $"http://{http.Request.Host}",
                ["jwks_uri"] = $"http://{http.Request.Host}/jwks",
                ["authorization_endpoint"] = $"http://{http.Request.Host}/authorize",
                ["token_endpoint"] = $"http://{http.Request.Host}/token",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                ["response_types_supported"] = new[] { "code" },
                ["subject_types_supported"] = new[] { "public" },
            }));
            app.MapGet("/jwks", () => Results.Json(new { keys = new[] { new { kty = "RSA", kid = jwk.Kid, n = jwk.N, e = jwk.E, alg = "RS256", use = "sig" } } }));
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            return new FakeIssuer(app, address);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
