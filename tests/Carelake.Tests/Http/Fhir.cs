using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Client-side helpers for the HTTP tests: Firely (de)serialisation, request building and common assertions.</summary>
internal static class Fhir
{
    public const string JsonMediaType = "application/fhir+json";
    public const string XmlMediaType = "application/fhir+xml";

    /// <summary>Strict Firely options, as a conformant client would use to read the server's answers.</summary>
    public static readonly JsonSerializerOptions Options = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>
    /// Recoverable-mode options, used for Bundles so that one known output defect (see the strict-validity tests)
    /// does not hide every other assertion on searchsets and history.
    /// </summary>
    public static readonly JsonSerializerOptions Lenient =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector).UsingMode(DeserializationMode.Recoverable);

    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>A short unique token for names and identifiers, so searches see only this test's data.</summary>
    public static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    public static string ToJson(Resource resource) => JsonSerializer.Serialize(resource, resource.GetType(), Options);

    public static StringContent JsonContent(Resource resource, string mediaType = JsonMediaType) => JsonContent(ToJson(resource), mediaType);

    public static StringContent JsonContent(string json, string mediaType = JsonMediaType)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        return content;
    }

    public static string ToXml(Resource resource) => new FhirXmlSerializer().SerializeToString(resource);

    public static StringContent XmlContent(Resource resource) => XmlContent(ToXml(resource));

    public static StringContent XmlContent(string xml)
    {
        var content = new StringContent(xml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(XmlMediaType) { CharSet = "utf-8" };
        return content;
    }

    /// <summary>Parses strictly, except Bundles (parsed in recoverable mode; their validity has dedicated tests).</summary>
    public static T Parse<T>(string json)
        where T : Resource =>
        Assert.IsType<T>(JsonSerializer.Deserialize<Resource>(json, typeof(T) == typeof(Bundle) ? Lenient : Options), exactMatch: false);

    public static T ParseStrict<T>(string json)
        where T : Resource =>
        Assert.IsType<T>(JsonSerializer.Deserialize<Resource>(json, Options), exactMatch: false);

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response)
        where T : Resource
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(body), $"Expected a {typeof(T).Name} body for {(int)response.StatusCode}, got none.");
        return Parse<T>(body);
    }

    public static async Task<T> ReadXmlAsync<T>(HttpResponseMessage response)
        where T : Resource
    {
        var body = await response.Content.ReadAsStringAsync();
        return Assert.IsType<T>(new FhirXmlDeserializer().DeserializeResource(body), exactMatch: false);
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                throw new InvalidOperationException($"Header {name} could not be added.");
            }
        }

        return request;
    }

    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url, HttpContent? content = null, params (string Name, string Value)[] headers) =>
        client.SendAsync(Request(method, url, content, headers));

    /// <summary>POSTs a resource and returns the created one as the server stored it.</summary>
    public static async Task<T> CreateAsync<T>(this HttpClient client, T resource)
        where T : Resource
    {
        using var response = await client.PostAsync(resource.TypeName, JsonContent(resource));
        await ExpectStatusAsync(response, HttpStatusCode.Created);
        return await ReadAsync<T>(response);
    }

    /// <summary>PUTs a resource (update or update-as-create) and returns it as stored.</summary>
    public static async Task<T> PutAsync<T>(this HttpClient client, T resource)
        where T : Resource
    {
        using var response = await client.PutAsync($"{resource.TypeName}/{resource.Id}", JsonContent(resource));
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, await DescribeAsync(response));
        return await ReadAsync<T>(response);
    }

    public static async Task<T> GetResourceAsync<T>(this HttpClient client, string url)
        where T : Resource
    {
        using var response = await client.GetAsync(url);
        await ExpectStatusAsync(response, HttpStatusCode.OK);
        return await ReadAsync<T>(response);
    }

    public static async Task ExpectStatusAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            Assert.Fail($"Expected {(int)expected} {expected}, got {await DescribeAsync(response)}");
        }
    }

    public static async Task<string> DescribeAsync(HttpResponseMessage response)
    {
        var body = response.Content is null ? string.Empty : await response.Content.ReadAsStringAsync();
        return $"{(int)response.StatusCode} {response.StatusCode} for {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {Truncate(body, 2000)}";
    }

    /// <summary>Asserts an error status with an OperationOutcome body (JSON) that has diagnostics and no internals; returns it.</summary>
    public static async Task<OperationOutcome> ExpectOutcomeAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        await ExpectStatusAsync(response, expected);
        var body = await response.Content.ReadAsStringAsync();
        AssertNoInternals(body);
        Assert.StartsWith(JsonMediaType, response.Content.Headers.ContentType?.MediaType ?? string.Empty, StringComparison.Ordinal);
        var outcome = Parse<OperationOutcome>(body);
        Assert.NotEmpty(outcome.Issue);
        Assert.Contains(outcome.Issue, i => !string.IsNullOrWhiteSpace(i.Diagnostics));
        if ((int)expected >= 400)
        {
            Assert.Contains(outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
        }

        return outcome;
    }

    /// <summary>No stack trace, exception type or framework internals in a body sent to a client.</summary>
    public static void AssertNoInternals(string body)
    {
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", body, StringComparison.Ordinal);
    }

    public static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var values), $"X-Content-Type-Options missing on {(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}");
        Assert.Equal("nosniff", Assert.Single(values));
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    public static string ETagOf(HttpResponseMessage response) =>
        response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("The response has no ETag.");

    public static string? NextLink(Bundle bundle) => bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url;

    /// <summary>Follows next links from <paramref name="firstUrl"/> to the end; returns every page.</summary>
    public static async Task<List<Bundle>> WalkPagesAsync(this HttpClient client, string firstUrl, int maxPages = 500)
    {
        var pages = new List<Bundle>();
        string? url = firstUrl;
        while (url is not null)
        {
            Assert.True(pages.Count < maxPages, $"More than {maxPages} pages from {firstUrl}: the next links do not end.");
            var page = await client.GetResourceAsync<Bundle>(url);
            pages.Add(page);
            url = NextLink(page);
        }

        return pages;
    }

    /// <summary>The ids of the matches of a searchset (search.mode = match, or no mode).</summary>
    public static List<string> MatchIds(Bundle bundle) =>
        bundle.Entry.Where(e => e.Search?.Mode is null or Bundle.SearchEntryMode.Match && e.Resource is not null)
            .Select(e => e.Resource!.Id ?? string.Empty)
            .ToList();

    public static async Task<List<string>> SearchIdsAsync(this HttpClient client, string url)
    {
        var pages = await client.WalkPagesAsync(url);
        return pages.SelectMany(MatchIds).ToList();
    }

    public static Patient NewPatient(string family, params string[] given) => new()
    {
        Name = [new HumanName { Family = family, Given = given }],
    };

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
