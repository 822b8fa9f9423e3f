using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Carelake.Security;
using Carelake.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Carelake.Tests.Security;

/// <summary>Drives the authorization server over HTTP like a browser and an app would: login form, consent, code exchange.</summary>
public sealed partial class AuthClient
{
    private readonly TestServer _server;

    public AuthClient(TestServer server)
    {
        _server = server;
        Browser = NewBrowser();
    }

    public HttpClient NewBrowser() => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(Origin + "/") };

    public string Origin => _server.BaseUrl[..^"/fhir".Length];

    /// <summary>A browser: keeps cookies, does not follow redirects.</summary>
    public HttpClient Browser { get; private set; }

    public static async Task<TestServer> StartSecureAsync(Action<Carelake.Hosting.CarelakeOptions>? configure = null)
    {
        // Tests sign in many times a minute from one address: the rate limit is raised unless a test sets its own.
        var server = new TestServer { Configure = o => { o.Dev = false; o.Auth.RateLimitPerMinute = 10_000; configure?.Invoke(o); } };
        await server.InitializeAsync();
        return server;
    }

    public async Task AddUserAsync(string userName, string password, string role, string? fhirUser = null) =>
        await _server.Provider.GetRequiredService<UserService>().AddAsync(userName, password, role, fhirUser, null, CancellationToken.None);

    public async Task AddClientAsync(ClientSpec spec)
    {
        await using var scope = _server.Provider.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ClientService>().AddAsync(spec, CancellationToken.None);
    }

    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public string AuthorizeUrl(string scope, string challenge, string clientId = ClientService.WebClientId, string? redirectUri = null, string state = "s-123", string? launch = null) =>
        "auth/authorize?response_type=code"
        + $"&client_id={Uri.EscapeDataString(clientId)}"
        + $"&redirect_uri={Uri.EscapeDataString(redirectUri ?? Origin + "/callback")}"
        + $"&scope={Uri.EscapeDataString(scope)}&state={state}"
        + $"&code_challenge={challenge}&code_challenge_method=S256"
        + $"&aud={Uri.EscapeDataString(_server.BaseUrl)}"
        + (launch is null ? string.Empty : $"&launch={launch}");

    /// <summary>GET the login page, POST the form; returns the response to the POST.</summary>
    public async Task<HttpResponseMessage> LoginAsync(string returnUrl, string userName, string password)
    {
        using var page = await Browser.GetAsync("auth/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var fields = HiddenFields(html);
        fields["username"] = userName;
        fields["password"] = password;
        return await Browser.PostAsync("auth/login", new FormUrlEncodedContent(fields));
    }

    /// <summary>The whole authorization-code + PKCE flow: authorize → login → consent → code → token response.</summary>
    public async Task<JsonObject> SignInAsync(string userName, string password, string scope, string? patient = null, string clientId = ClientService.WebClientId, string? redirectUri = null, string? launch = null)
    {
        // A fresh browser per sign-in: no session cookie of an earlier user.
        Browser = NewBrowser();
        var (verifier, challenge) = Pkce();
        var authorize = AuthorizeUrl(scope, challenge, clientId, redirectUri, launch: launch);
        using var first = await Browser.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        var login = first.Headers.Location!.OriginalString;
        Assert.StartsWith("/auth/login", login, StringComparison.Ordinal);
        var returnUrl = Uri.UnescapeDataString(login[(login.IndexOf("returnUrl=", StringComparison.Ordinal) + "returnUrl=".Length)..]);
        using var posted = await LoginAsync(returnUrl, userName, password);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var code = await ConsentAsync(posted.Headers.Location!.OriginalString, patient);
        return await ExchangeAsync(code, verifier, clientId, redirectUri);
    }

    /// <summary>Opens the consent page and allows; returns the authorization code from the redirect.</summary>
    public async Task<string> ConsentAsync(string authorizeUrl, string? patient = null, string decision = "allow")
    {
        using var consent = await Browser.GetAsync(authorizeUrl.TrimStart('/'));
        var html = await consent.Content.ReadAsStringAsync();
        Assert.True(consent.StatusCode == HttpStatusCode.OK, $"consent page: {(int)consent.StatusCode} {html}");
        var fields = HiddenFields(html);
        fields["decision"] = decision;
        if (patient is not null)
        {
            fields["patient"] = patient;
        }

        using var allowed = await Browser.PostAsync("auth/authorize", new FormUrlEncodedContent(fields));
        Assert.True(allowed.StatusCode == HttpStatusCode.Redirect, $"consent post: {(int)allowed.StatusCode} {await allowed.Content.ReadAsStringAsync()}");
        var callback = allowed.Headers.Location!;
        Assert.StartsWith(Origin + "/callback", callback.OriginalString, StringComparison.Ordinal);
        var query = System.Web.HttpUtility.ParseQueryString(callback.Query);
        Assert.Equal("s-123", query["state"]);
        return query["code"] ?? throw new InvalidOperationException($"No code in {callback}");
    }

    public async Task<JsonObject> ExchangeAsync(string code, string verifier, string clientId = ClientService.WebClientId, string? redirectUri = null)
    {
        using var response = await TokenAsync(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri ?? Origin + "/callback",
            ["client_id"] = clientId,
            ["code_verifier"] = verifier,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<HttpResponseMessage> TokenAsync(Dictionary<string, string> form)
    {
        using var client = new HttpClient();
        return await client.PostAsync(Origin + "/auth/token", new FormUrlEncodedContent(form));
    }

    public HttpClient Fhir(string accessToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl + "/") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    public static Dictionary<string, string> HiddenFields(string html)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in HiddenInput().Matches(html))
        {
            fields[WebUtility.HtmlDecode(match.Groups[1].Value)] = WebUtility.HtmlDecode(match.Groups[2].Value);
        }

        return fields;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();


}
