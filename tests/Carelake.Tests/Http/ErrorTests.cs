using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>
/// Error handling: every failure is an OperationOutcome with a precise status, never a stack trace, and every response
/// carries the security headers.
/// </summary>
public sealed class ErrorTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Create_with_a_body_type_different_from_the_URL_type_returns_400()
    {
        var observation = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4") };

        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(observation));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(outcome.Issue, i => i.Diagnostics!.Contains("Observation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_with_a_body_type_different_from_the_URL_type_returns_400()
    {
        var id = Fhir.NewId();
        var observation = new Observation { Id = id, Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4") };

        using var response = await Client.PutAsync($"Patient/{id}", Fhir.JsonContent(observation));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        using var read = await Client.GetAsync($"Observation/{id}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [Fact]
    public async Task Update_with_a_body_id_different_from_the_URL_id_returns_400_and_writes_nothing()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("IdMismatch")));
        var other = Fhir.NewId();
        patient.Id = other;

        using var response = await Client.PutAsync($"Patient/{Fhir.NewId()}", Fhir.JsonContent(patient));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        using var read = await Client.GetAsync($"Patient/{other}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [Theory]
    [InlineData("GET", "NotAType")]
    [InlineData("GET", "NotAType/123")]
    [InlineData("GET", "NotAType/123/_history/1")]
    [InlineData("GET", "NotAType/123/_history")]
    [InlineData("GET", "NotAType/_history")]
    [InlineData("POST", "NotAType")]
    [InlineData("PUT", "NotAType/123")]
    [InlineData("DELETE", "NotAType/123")]
    [InlineData("GET", "patient/123")]
    [InlineData("GET", "Resource/123")]
    [InlineData("GET", "DomainResource")]
    public async Task Unknown_resource_types_return_404(string method, string url)
    {
        var content = method is "POST" or "PUT" ? Fhir.JsonContent(Fhir.NewPatient("Nobody")) : null;

        using var response = await Client.SendAsync(new HttpMethod(method), url, content);

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("GET", "a_b")]
    [InlineData("GET", "a%20b")]
    [InlineData("GET", "a$b")]
    [InlineData("GET", "a%C3%A9")]
    [InlineData("GET", "0123456789012345678901234567890123456789012345678901234567890123456789")]
    [InlineData("PUT", "a_b")]
    [InlineData("DELETE", "a_b")]
    [InlineData("GET", "a_b/_history")]
    [InlineData("GET", "a_b/_history/1")]
    public async Task Invalid_ids_return_400(string method, string id)
    {
        HttpContent? content = null;
        if (method == "PUT")
        {
            var patient = Fhir.NewPatient("Invalid");
            patient.Id = Uri.UnescapeDataString(id);
            content = Fhir.JsonContent(patient);
        }

        using var response = await Client.SendAsync(new HttpMethod(method), $"Patient/{id}", content);

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_id_of_64_characters_is_valid()
    {
        var id = new string('a', 60) + "-1.Z";
        var patient = Fhir.NewPatient(Fhir.Unique("LongId"));
        patient.Id = id;

        using var response = await Client.PutAsync($"Patient/{id}", Fhir.JsonContent(patient));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.Created);
    }

    [Fact]
    public async Task Malformed_JSON_returns_400_with_the_line_and_position()
    {
        const string body = "{\n  \"resourceType\": \"Patient\",\n  \"active\": true\n  \"gender\": \"male\"\n}";

        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(body));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        var diagnostics = string.Join(" ", outcome.Issue.Select(i => i.Diagnostics));
        Assert.Contains("line 4", diagnostics, StringComparison.OrdinalIgnoreCase);
        Assert.Matches("position \\d+", diagnostics);
        Assert.Contains(outcome.Issue, i => i.Code is OperationOutcome.IssueType.Structure or OperationOutcome.IssueType.Invalid);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patient\",\"gender\":\"fem")]
    [InlineData("{\"resourceType\":\"Patient\",}")]
    [InlineData("not json at all")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("[{\"resourceType\":\"Patient\",\"active\":true}]")]
    [InlineData("42")]
    [InlineData("\"Patient\"")]
    [InlineData("{}")]
    [InlineData("{\"active\":true}")]
    [InlineData("{\"resourceType\":\"NotAType\",\"active\":true}")]
    [InlineData("{\"resourceType\":42}")]
    [InlineData("{\"resourceType\":\"Patient\",\"active\":true} x")]
    [InlineData("{\"resourceType\":\"Patient\",\"active\":true}{\"resourceType\":\"Patient\"}")]
    [InlineData("{\"resourceType\":\"Patient\",\"active\":true} 42")]
    public async Task Bodies_that_are_not_a_FHIR_resource_return_400(string body)
    {
        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(body));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_empty_body_returns_400()
    {
        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(string.Empty));
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_XML_returns_400_with_the_line_and_position()
    {
        const string body = "<Patient xmlns=\"http://hl7.org/fhir\">\n  <active value=\"true\">\n</Patient>";

        using var response = await Client.PostAsync("Patient", Fhir.XmlContent(body));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        var diagnostics = string.Join(" ", outcome.Issue.Select(i => i.Diagnostics));
        Assert.Matches("(?i)line \\d+", diagnostics);
        Assert.Matches("(?i)position \\d+", diagnostics);
    }

    [Theory]
    [InlineData("<Patient><active value=\"true\"/></Patient>")]
    [InlineData("<Foo xmlns=\"http://hl7.org/fhir\"><active value=\"true\"/></Foo>")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x \"y\">]><Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\"/></Patient>")]
    [InlineData("plain text")]
    public async Task XML_that_is_not_a_FHIR_resource_returns_400(string body)
    {
        using var response = await Client.PostAsync("Patient", Fhir.XmlContent(body));
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_unknown_JSON_element_returns_400_with_its_FHIRPath_location()
    {
        const string body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"X\",\"nickname\":\"Y\"}],\"active\":true}";

        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(body));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(outcome.Issue, i => i.Expression.Contains("Patient.name[0].nickname"));
    }

    [Fact]
    public async Task An_unknown_XML_element_returns_400_with_its_FHIRPath_location()
    {
        const string body = "<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\"/><shoeSize value=\"44\"/></Patient>";

        using var response = await Client.PostAsync("Patient", Fhir.XmlContent(body));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(outcome.Issue, i => i.Expression.Contains("Patient.shoeSize"));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_returns_400_with_its_FHIRPath_location()
    {
        const string body = "{\"resourceType\":\"Patient\",\"birthDate\":\"15 March 1970\"}";

        using var response = await Client.PostAsync("Patient", Fhir.JsonContent(body));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(outcome.Issue, i => i.Expression.Contains("Patient.birthDate"));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"resourceType\":\"Account\",\"name\":\"no status\"}")]
    public async Task Issue_expressions_are_simple_FHIRPath_rooted_at_the_resource_type(string body)
    {
        // OperationOutcome.issue.expression is "a simple subset of FHIRPath limited to element names, repetition
        // indicators and the default child accessor": not a line number, not $this.
        using var response = await Client.PostAsync(body.Contains("Account", StringComparison.Ordinal) ? "Account" : "Patient", Fhir.JsonContent(body));

        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        var notFhirPath = outcome.Issue.SelectMany(i => i.Expression).OfType<string>()
            .Where(e => !System.Text.RegularExpressions.Regex.IsMatch(e, "^[A-Z][A-Za-z]+(\\.[a-z][A-Za-z0-9]*(\\[\\d+\\])?)*$"))
            .ToList();
        Assert.True(notFhirPath.Count == 0, $"issue.expression values that are not simple FHIRPath: {string.Join(", ", notFhirPath.Select(e => $"'{e}'"))}");
    }

    [Fact]
    public async Task A_body_over_the_configured_limit_returns_413_and_a_body_under_it_is_accepted()
    {
        var small = new TestServer { Configure = o => o.MaxRequestBodyBytes = 4096 };
        await small.InitializeAsync();
        try
        {
            var patient = Fhir.NewPatient(Fhir.Unique("Small"));
            using (var accepted = await small.Client.PostAsync("Patient", Fhir.JsonContent(patient)))
            {
                await Fhir.ExpectStatusAsync(accepted, HttpStatusCode.Created);
            }

            var before = await small.Services.Store.CountByTypeAsync(CancellationToken.None);
            var big = Fhir.NewPatient(Fhir.Unique("Big"));
            big.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{new string('x', 10_000)}</div>" };

            using (var sized = await small.Client.PostAsync("Patient", Fhir.JsonContent(big)))
            {
                var outcome = await Fhir.ExpectOutcomeAsync(sized, HttpStatusCode.RequestEntityTooLarge);
                Assert.Contains(outcome.Issue, i => i.Code == OperationOutcome.IssueType.TooCostly);
                Fhir.AssertSecurityHeaders(sized);
            }

            // The same body without Content-Length (chunked): the limit is enforced while reading.
            using (var chunked = await small.Client.PostAsync("Patient", Chunked(Fhir.ToJson(big))))
            {
                await Fhir.ExpectOutcomeAsync(chunked, HttpStatusCode.RequestEntityTooLarge);
            }

            using (var transaction = await small.Client.PostAsync(string.Empty, Fhir.JsonContent(new Bundle
            {
                Type = Bundle.BundleType.Transaction,
                Entry = [new Bundle.EntryComponent { Resource = big, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } }],
            })))
            {
                await Fhir.ExpectOutcomeAsync(transaction, HttpStatusCode.RequestEntityTooLarge);
            }

            Assert.Equal(before, await small.Services.Store.CountByTypeAsync(CancellationToken.None));
        }
        finally
        {
            await small.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("POST", "Patient", "text/plain")]
    [InlineData("POST", "Patient", "application/x-www-form-urlencoded")]
    [InlineData("POST", "Patient", "image/png")]
    [InlineData("PUT", "Patient/unsupported-ct", "text/plain")]
    [InlineData("POST", "", "text/plain")]
    public async Task An_unsupported_Content_Type_returns_415(string method, string url, string contentType)
    {
        var patient = Fhir.NewPatient(Fhir.Unique("Ct"));
        patient.Id = "unsupported-ct";
        var content = new StringContent(Fhir.ToJson(patient), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await Client.SendAsync(new HttpMethod(method), url, content);

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("metadata")]
    [InlineData("Patient")]
    [InlineData("Patient/{id}")]
    [InlineData("Patient/{id}/_history/1")]
    [InlineData("Patient/{id}/_history")]
    [InlineData("Patient/_history")]
    [InlineData("_history")]
    [InlineData("$versions")]
    public async Task An_unacceptable_Accept_on_a_read_returns_406(string url)
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Accept")));

        using var response = await Client.SendAsync(HttpMethod.Get, url.Replace("{id}", patient.Id, StringComparison.Ordinal), null, ("Accept", "image/png"));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotAcceptable);
    }

    [Theory]
    [InlineData("xls")]
    [InlineData("text/html")]
    public async Task An_unsupported_format_parameter_returns_406(string format)
    {
        using var response = await Client.GetAsync($"metadata?_format={Uri.EscapeDataString(format)}");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task Create_with_an_unacceptable_Accept_returns_406_and_writes_nothing()
    {
        var family = Fhir.Unique("Create406");

        using var response = await Client.SendAsync(HttpMethod.Post, "Patient", Fhir.JsonContent(Fhir.NewPatient(family)), ("Accept", "image/png"));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotAcceptable);
        Assert.Empty(await Client.SearchIdsAsync($"Patient?family={family}"));
    }

    [Fact]
    public async Task Update_with_an_unacceptable_Accept_returns_406_and_writes_nothing()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Update406")));

        using var response = await Client.SendAsync(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("Accept", "image/png"));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotAcceptable);
        Assert.Equal("1", (await Client.GetResourceAsync<Patient>($"Patient/{patient.Id}")).Meta?.VersionId);
    }

    [Fact]
    public async Task A_transaction_with_an_unacceptable_Accept_returns_406_and_writes_nothing()
    {
        var family = Fhir.Unique("Tx406");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new Bundle.EntryComponent { Resource = Fhir.NewPatient(family), Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } }],
        };

        using var response = await Client.SendAsync(HttpMethod.Post, string.Empty, Fhir.JsonContent(bundle), ("Accept", "image/png"));

        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.NotAcceptable);
        Assert.Empty(await Client.SearchIdsAsync($"Patient?family={family}"));
    }

    [Theory]
    [InlineData("GET", "Patient/x/y/z")]
    [InlineData("GET", "$everything")]
    [InlineData("POST", "Patient/x/_history")]
    public async Task Unsupported_interactions_return_an_OperationOutcome(string method, string url)
    {
        using var response = await Client.SendAsync(new HttpMethod(method), url, method == "POST" ? Fhir.JsonContent(Fhir.NewPatient("X")) : null);

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.BadRequest, await Fhir.DescribeAsync(response));
        await Fhir.ExpectOutcomeAsync(response, response.StatusCode);
    }

    [Fact]
    public async Task No_error_response_is_a_500_or_contains_a_stack_trace()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("NoTrace")));
        var requests = new List<Func<HttpRequestMessage>>
        {
            () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.JsonContent("[]")),
            () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.JsonContent("{\"resourceType\":\"Patient\",\"contained\":[[]]}")),
            () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.JsonContent(new string('[', 2000))),
            () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.XmlContent(new string('<', 100))),
            () => Fhir.Request(HttpMethod.Post, string.Empty, Fhir.JsonContent("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":{\"method\":\"POST\",\"url\":\"\"},\"resource\":{\"resourceType\":\"Patient\",\"active\":true}}]}")),
            () => Fhir.Request(HttpMethod.Post, string.Empty, Fhir.JsonContent("{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"request\":{\"method\":\"GET\",\"url\":\"Patient?birthdate=garbage\"}}]}")),
            () => Fhir.Request(HttpMethod.Post, string.Empty, Fhir.JsonContent(Fhir.NewPatient("NotABundle"))),
            () => Fhir.Request(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("If-Match", "garbage")),
            () => Fhir.Request(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-None-Match", "garbage")),
            () => Fhir.Request(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-Modified-Since", "garbage")),
            () => Fhir.Request(HttpMethod.Get, "Patient?birthdate=not-a-date"),
            () => Fhir.Request(HttpMethod.Get, "Patient?_lastUpdated=gt"),
            () => Fhir.Request(HttpMethod.Get, "Patient?family:nonsense=x"),
            () => Fhir.Request(HttpMethod.Get, "Patient?_count=-1"),
            () => Fhir.Request(HttpMethod.Get, "Patient?_cursor=abc"),
            () => Fhir.Request(HttpMethod.Get, "Patient?general-practitioner=Nope/1"),
            () => Fhir.Request(HttpMethod.Get, "Observation?value-quantity=abc"),
            () => Fhir.Request(HttpMethod.Get, "_history?_cursor=abc"),
            () => Fhir.Request(HttpMethod.Get, "Patient?family="),
            () => Fhir.Request(HttpMethod.Get, "Patient?_lastUpdated="),
            () => Fhir.Request(HttpMethod.Get, "Patient?birthdate="),
        };

        var problems = new List<string>();
        foreach (var make in requests)
        {
            using var request = make();
            var description = $"{request.Method} {request.RequestUri}";
            using var response = await Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode >= 500)
            {
                problems.Add($"{description} -> {(int)response.StatusCode}: {body}");
            }

            if (body.Contains("   at ", StringComparison.Ordinal) || body.Contains("Exception", StringComparison.Ordinal))
            {
                problems.Add($"{description} -> body shows internals: {body}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Every_response_carries_the_security_headers()
    {
        var patient = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Headers")));
        using var root = new HttpClient { BaseAddress = new Uri(new Uri(server.BaseUrl), "/") };
        var cases = new List<(HttpClient Client, Func<HttpRequestMessage> Make)>
        {
            (Client, () => Fhir.Request(HttpMethod.Get, "metadata")),
            (Client, () => Fhir.Request(HttpMethod.Get, $"Patient/{patient.Id}")),
            (Client, () => Fhir.Request(HttpMethod.Get, $"Patient/{patient.Id}", null, ("If-None-Match", "W/\"1\""))),
            (Client, () => Fhir.Request(HttpMethod.Get, $"Patient?_id={patient.Id}")),
            (Client, () => Fhir.Request(HttpMethod.Get, "_history?_count=1")),
            (Client, () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.JsonContent(Fhir.NewPatient("H")))),
            (Client, () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.JsonContent(Fhir.NewPatient("H")), ("Prefer", "return=minimal"))),
            (Client, () => Fhir.Request(HttpMethod.Delete, $"Patient/{Fhir.NewId()}")),
            (Client, () => Fhir.Request(HttpMethod.Get, $"Patient/{Fhir.NewId()}")),
            (Client, () => Fhir.Request(HttpMethod.Get, "Patient/a_b")),
            (Client, () => Fhir.Request(HttpMethod.Get, "NotAType/1")),
            (Client, () => Fhir.Request(HttpMethod.Get, "metadata", null, ("Accept", "image/png"))),
            (Client, () => Fhir.Request(HttpMethod.Post, "Patient", new StringContent("x", Encoding.UTF8, "text/plain"))),
            (Client, () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.JsonContent("{"))),
            (Client, () => Fhir.Request(HttpMethod.Put, $"Patient/{patient.Id}", Fhir.JsonContent(patient), ("If-Match", "W/\"99\""))),
            (Client, () => Fhir.Request(HttpMethod.Post, "Patient", Fhir.JsonContent("[]"))),
            (Client, () => Fhir.Request(HttpMethod.Options, "Patient")),
            (root, () => Fhir.Request(HttpMethod.Get, "/")),
            (root, () => Fhir.Request(HttpMethod.Get, "/healthz")),
            (root, () => Fhir.Request(HttpMethod.Get, "/readyz")),
            (root, () => Fhir.Request(HttpMethod.Get, "/no/such/page")),
        };

        var missing = new List<string>();
        foreach (var (client, make) in cases)
        {
            using var request = make();
            var description = $"{request.Method} {request.RequestUri}";
            using var response = await client.SendAsync(request);
            if (!response.Headers.TryGetValues("X-Content-Type-Options", out var values) || values.SingleOrDefault() != "nosniff")
            {
                missing.Add($"{description} -> {(int)response.StatusCode} without X-Content-Type-Options: nosniff");
            }
        }

        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    private static StreamContent Chunked(string text)
    {
        var content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(text)));
        content.Headers.ContentType = new MediaTypeHeaderValue(Fhir.JsonMediaType);
        return content;
    }

    /// <summary>A stream whose length is unknown, so HttpClient sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
