using System.Net;
using Carelake.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Web;

/// <summary>
/// The web app's files are cacheable (content-hashed bundles for a year, the page revalidated every time) while every
/// API response, and every error, stays <c>no-store</c>. Runs over a small built app in a temporary folder.
/// </summary>
public sealed class WebAppCachingTests : IAsyncLifetime
{
    private const string Asset = "assets/index-3f9a1c2b.js";
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "carelake-tests", "webroot-" + Guid.NewGuid().ToString("N"));

    private readonly TestServer _server = new() { Configure = o => o.WebRoot = Root };
    private string _origin = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Root, "assets"));
        await File.WriteAllTextAsync(Path.Combine(Root, "index.html"), "<!doctype html><title>Carelake</title><script type=\"module\" src=\"/" + Asset + "\"></script>");
        await File.WriteAllTextAsync(Path.Combine(Root, Asset), "console.log('app');");
        await File.WriteAllTextAsync(Path.Combine(Root, "favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        await _server.InitializeAsync();
        _origin = _server.BaseUrl[..^"/fhir".Length];
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    private async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var client = new HttpClient();
        return await client.GetAsync($"{_origin}/{path}");
    }

    [Fact]
    public async Task Content_hashed_assets_are_cached_for_a_year_as_immutable()
    {
        using var response = await GetAsync(Asset);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Theory]
    [InlineData("")]
    [InlineData("index.html")]
    [InlineData("patients/123")]
    [InlineData("manage/audit?patient=Patient/1")]
    [InlineData("favicon.svg")]
    public async Task The_page_client_routes_and_unhashed_files_are_revalidated_every_time(string path)
    {
        using var response = await GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoCache, $"Cache-Control was '{response.Headers.CacheControl}'");
        Assert.False(response.Headers.CacheControl?.NoStore);
        Assert.Null(response.Headers.CacheControl?.MaxAge);
    }

    [Fact]
    public async Task A_revalidated_page_answers_304_and_stays_revalidated()
    {
        using var first = await GetAsync("index.html");
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_origin}/index.html");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        using var again = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal("no-cache", again.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("fhir/metadata")]
    [InlineData("fhir/Patient")]
    [InlineData("fhir/Patient/missing")]
    [InlineData("api/status")]
    [InlineData("api/unknown")]
    [InlineData("assets/missing-1234abcd.js")]
    [InlineData("auth/whatever")]
    public async Task API_responses_and_missing_files_stay_no_store(string path)
    {
        using var response = await GetAsync(path);

        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }
}
