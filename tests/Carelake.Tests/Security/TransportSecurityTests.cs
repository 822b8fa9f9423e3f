using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Carelake.Hosting;
using Carelake.Security;
using Carelake.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Security;

/// <summary>
/// Issue 6, transport security: HTTPS with an operator's PKCS#12 certificate, TLS 1.2 and 1.3 only, HSTS on HTTPS
/// responses, and X-Forwarded-* believed only from the configured TLS-terminating proxy.
/// </summary>
public sealed class TransportSecurityTests : IDisposable
{
    private const string CertificatePassword = "pkcs12 test password";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "carelake-tests", Guid.NewGuid().ToString("N"));
    private readonly X509Certificate2 _certificate;

    public TransportSecurityTests()
    {
        Directory.CreateDirectory(_folder);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(PfxPath, _certificate.Export(X509ContentType.Pkcs12, CertificatePassword));
    }

    private string PfxPath => Path.Combine(_folder, "server.pfx");

    public void Dispose()
    {
        _certificate.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<TestServer> StartHttpsAsync() => AuthClient.StartSecureAsync(o =>
    {
        o.Urls = "https://127.0.0.1:0";
        o.Tls.CertificatePath = PfxPath;
        o.Tls.CertificatePassword = CertificatePassword;
    });

    private HttpClient TrustingClient() => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == _certificate.Thumbprint,
        AllowAutoRedirect = false,
    });

    [Fact]
    public async Task Https_with_a_PKCS12_certificate_and_its_password_serves_the_API_with_HSTS()
    {
        var server = await StartHttpsAsync();
        try
        {
            Assert.StartsWith("https://127.0.0.1:", server.BaseUrl, StringComparison.Ordinal);
            using var client = TrustingClient();
            using var metadata = await client.GetAsync(server.BaseUrl + "/metadata");
            Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
            // ASP.NET Core leaves HSTS off for localhost and loopback addresses (a browser would pin it for every
            // local port); any other host name served over HTTPS gets it, with the configured max-age (365 days).
            Assert.False(metadata.Headers.Contains("Strict-Transport-Security"));
            using var named = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/metadata");
            named.Headers.Host = "fhir.hospital.example";
            using var hsts = await client.SendAsync(named);
            Assert.Equal(HttpStatusCode.OK, hsts.StatusCode);
            Assert.Equal("max-age=31536000", Assert.Single(hsts.Headers.GetValues("Strict-Transport-Security")));
            // Without a token the API still answers 401 over TLS (HSTS does not replace authentication).
            using var read = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/Patient");
            read.Headers.Host = "fhir.hospital.example";
            using var unauthorized = await client.SendAsync(read);
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
            Assert.True(unauthorized.Headers.Contains("Strict-Transport-Security"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_wrong_PKCS12_password_stops_the_server_from_starting()
    {
        var wrong = AuthClient.StartSecureAsync(o =>
        {
            o.Urls = "https://127.0.0.1:0";
            o.Tls.CertificatePath = PfxPath;
            o.Tls.CertificatePassword = "not the password";
        });
        await Assert.ThrowsAnyAsync<CryptographicException>(() => wrong);
    }

    [Fact]
    public async Task Https_negotiates_TLS_1_2_and_1_3_and_refuses_older_handshakes()
    {
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, TlsOptions.Protocols);
        var server = await StartHttpsAsync();
        try
        {
            var port = new Uri(server.BaseUrl).Port;
            Assert.Equal(SslProtocols.Tls12, await HandshakeAsync(port, SslProtocols.Tls12));
            Assert.Equal(SslProtocols.Tls13, await HandshakeAsync(port, SslProtocols.Tls13));
#pragma warning disable SYSLIB0039, CA5397 // TLS 1.0/1.1 are obsolete: that is what this test makes sure the server refuses.
            foreach (var old in new[] { SslProtocols.Tls11, SslProtocols.Tls })
            {
                // Only meaningful where this machine's TLS library can still speak the old version at all: a server
                // of our own that allows it proves the client side works, so a refusal by Carelake is Carelake's.
                if (await OldProtocolWorksLocallyAsync(old))
                {
                    Assert.Null(await HandshakeAsync(port, old));
                }
            }
#pragma warning restore SYSLIB0039, CA5397
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Forwarded_headers_are_believed_only_from_the_configured_proxy()
    {
        // The proxy is this machine (the test's own requests come from loopback, the default trusted proxy).
        var trusted = await AuthClient.StartSecureAsync(o => o.Tls.BehindProxy = true);
        // The operator named another proxy: loopback is no longer trusted.
        var otherProxy = await AuthClient.StartSecureAsync(o =>
        {
            o.Tls.BehindProxy = true;
            o.Tls.TrustedProxies = ["10.9.8.7"];
        });
        // No proxy configured: forwarded headers mean nothing.
        var noProxy = await AuthClient.StartSecureAsync();
        try
        {
            var forwarded = await ForwardedAsync(trusted);
            Assert.Equal("https://fhir.hospital.example/auth/token", forwarded.TokenEndpoint);
            Assert.True(forwarded.Hsts, "an HTTPS request (as the proxy says) to a named host gets HSTS");

            foreach (var server in new[] { otherProxy, noProxy })
            {
                var ignored = await ForwardedAsync(server);
                Assert.Equal(new Uri(server.BaseUrl).GetLeftPart(UriPartial.Authority) + "/auth/token", ignored.TokenEndpoint);
                Assert.False(ignored.Hsts);
            }
        }
        finally
        {
            await trusted.DisposeAsync();
            await otherProxy.DisposeAsync();
            await noProxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task Plain_HTTP_Kestrel_endpoints_from_the_configuration_follow_the_same_rule_as_urls()
    {
        // Configuration the operator may not think of: Kestrel__Endpoints__…__Url in the environment overrides --urls.
        var options = new CarelakeOptions { DataDir = Path.Combine(_folder, "data"), Urls = "http://127.0.0.1:0", Dev = false };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerHost.BuildAsync(options, ["--Kestrel:Endpoints:open:Url=http://0.0.0.0:0"], CancellationToken.None));
        Assert.Contains("plain HTTP beyond this machine", refused.Message, StringComparison.Ordinal);

        static IConfiguration Endpoint(string url) => new ConfigurationBuilder().AddInMemoryCollection([new("Kestrel:Endpoints:e:Url", url)]).Build();
        Assert.Single(ServerHost.KestrelEndpointProblems(Endpoint("http://0.0.0.0:8080"), options));
        Assert.Empty(ServerHost.KestrelEndpointProblems(Endpoint("http://127.0.0.1:8080"), options));
        Assert.Empty(ServerHost.KestrelEndpointProblems(Endpoint("https://0.0.0.0:8443"), options)); // TLS: Kestrel's own certificate settings
        options.Tls.BehindProxy = true;
        Assert.Empty(ServerHost.KestrelEndpointProblems(Endpoint("http://0.0.0.0:8080"), options));
    }

    [Fact]
    public void Trusting_named_proxies_drops_the_loopback_default_but_keeps_it_when_none_are_named()
    {
        var named = AuthServices.ForwardedHeadersFor(new TlsOptions { BehindProxy = true, TrustedProxies = ["10.9.8.7", "::1"] });
        Assert.Equal(new[] { IPAddress.Parse("10.9.8.7"), IPAddress.IPv6Loopback }, named.KnownProxies);
        Assert.Empty(named.KnownIPNetworks);
        var byDefault = AuthServices.ForwardedHeadersFor(new TlsOptions { BehindProxy = true });
        Assert.Contains(byDefault.KnownIPNetworks, n => n.Contains(IPAddress.Loopback));
    }

    private static async Task<(string TokenEndpoint, bool Hsts)> ForwardedAsync(TestServer server)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUrl).GetLeftPart(UriPartial.Authority) + "/.well-known/smart-configuration");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "fhir.hospital.example");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (document["token_endpoint"]!.GetValue<string>(), response.Headers.Contains("Strict-Transport-Security"));
    }

    /// <summary>The protocol a TLS handshake with only <paramref name="protocols"/> enabled settles on; null when refused.</summary>
    private async Task<SslProtocols?> HandshakeAsync(int port, SslProtocols protocols)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = protocols,
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == _certificate.Thumbprint,
            });
            return ssl.SslProtocol;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return null;
        }
    }

    /// <summary>Whether this machine can complete a handshake in <paramref name="protocol"/> at all (against a server allowing it).</summary>
    private async Task<bool> OldProtocolWorksLocallyAsync(SslProtocols protocol)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serverSide = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            await using var ssl = new SslStream(accepted.GetStream(), leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate, EnabledSslProtocols = protocol });
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
            }
        });
        var negotiated = await HandshakeAsync(((IPEndPoint)listener.LocalEndpoint).Port, protocol);
        await serverSide.WaitAsync(TimeSpan.FromSeconds(10));
        return negotiated == protocol;
    }
}
