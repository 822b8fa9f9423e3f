using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>
/// Search on Patient: _id, _lastUpdated and the standard string, token and date parameters, with modifiers, OR (commas),
/// AND (repeats) and :missing. Each test scopes its searches with values unique to it.
/// </summary>
public sealed class PatientSearchTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Id_finds_exactly_the_named_resources()
    {
        var a = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("IdA")));
        var b = await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("IdB")));
        await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("IdC")));

        await ExpectAsync($"Patient?_id={a.Id}", a);
        await ExpectAsync($"Patient?_id={a.Id},{b.Id}", a, b);
        await ExpectAsync($"Patient?_id={Fhir.NewId()}");
    }

    [Fact]
    public async Task LastUpdated_gt_and_lt_split_resources_written_at_different_times()
    {
        var family = Fhir.Unique("LastUpd");
        var first = await Client.CreateAsync(Fhir.NewPatient(family));
        await Task.Delay(20);
        var second = await Client.CreateAsync(Fhir.NewPatient(family));
        var firstTime = Uri.EscapeDataString(CrudTests.Instant(first.Meta!.LastUpdated!.Value));
        var secondTime = Uri.EscapeDataString(CrudTests.Instant(second.Meta!.LastUpdated!.Value));

        await ExpectAsync($"Patient?family={family}&_lastUpdated=gt{firstTime}", second);
        await ExpectAsync($"Patient?family={family}&_lastUpdated=lt{secondTime}", first);
        await ExpectAsync($"Patient?family={family}&_lastUpdated=ge{firstTime}", first, second);
        await ExpectAsync($"Patient?family={family}&_lastUpdated=gt{firstTime}&_lastUpdated=lt{secondTime}");
        await ExpectAsync($"Patient?family={family}&_lastUpdated={first.Meta.LastUpdated.Value.UtcDateTime:yyyy}", first, second);
    }

    [Fact]
    public async Task Family_is_a_case_insensitive_prefix_match()
    {
        var token = Fhir.NewId()[..10];
        var muller = await Client.CreateAsync(Fhir.NewPatient($"Müller{token}", "Hans"));
        var mullerson = await Client.CreateAsync(Fhir.NewPatient($"Müller{token}son", "Jan"));
        await Client.CreateAsync(Fhir.NewPatient($"Mueller{token}", "Other"));

        await ExpectAsync($"Patient?family={Uri.EscapeDataString($"Müller{token}")}", muller, mullerson);
        await ExpectAsync($"Patient?family={Uri.EscapeDataString($"MÜLLER{token.ToUpperInvariant()}")}", muller, mullerson);
        await ExpectAsync($"Patient?family={Uri.EscapeDataString($"müller{token}s")}", mullerson);
        await ExpectAsync($"Patient?family={Uri.EscapeDataString("müll")}&given=hans&_id={muller.Id},{mullerson.Id}", muller);
        await ExpectAsync($"Patient?family=uller{token}");
    }

    [Fact]
    public async Task Family_is_accent_insensitive_so_Müller_is_found_by_muller()
    {
        var token = Fhir.NewId()[..10];
        var muller = await Client.CreateAsync(Fhir.NewPatient($"Müller{token}"));
        var zoe = await Client.CreateAsync(Fhir.NewPatient($"Zoë{token}", "Renée"));

        await ExpectAsync($"Patient?family=muller{token}", muller);
        await ExpectAsync($"Patient?family=MULLER{token.ToUpperInvariant()}", muller);
        await ExpectAsync($"Patient?family=zoe{token}&given=renee", zoe);
    }

    [Fact]
    public async Task An_accented_search_value_finds_the_unaccented_spelling()
    {
        var token = Fhir.NewId()[..10];
        var plain = await Client.CreateAsync(Fhir.NewPatient($"Muller{token}"));

        await ExpectAsync($"Patient?family={Uri.EscapeDataString($"Müller{token}")}", plain);
    }

    [Fact]
    public async Task Family_exact_matches_the_whole_string_with_case_and_accents()
    {
        var token = Fhir.NewId()[..10];
        var muller = await Client.CreateAsync(Fhir.NewPatient($"Müller{token}"));
        await Client.CreateAsync(Fhir.NewPatient($"Müller{token}son"));

        await ExpectAsync($"Patient?family:exact={Uri.EscapeDataString($"Müller{token}")}", muller);
        await ExpectAsync($"Patient?family:exact=muller{token}");
        await ExpectAsync($"Patient?family:exact={Uri.EscapeDataString($"müller{token}")}");
        await ExpectAsync($"Patient?family:exact={Uri.EscapeDataString("Müller")}&_id={muller.Id}");
    }

    [Fact]
    public async Task Family_contains_matches_anywhere_in_the_string()
    {
        var token = Fhir.NewId()[..10];
        var patient = await Client.CreateAsync(Fhir.NewPatient($"Van{token}Dyke"));

        await ExpectAsync($"Patient?family:contains={token}", patient);
        await ExpectAsync($"Patient?family:contains={token.ToUpperInvariant()}DY", patient);
        await ExpectAsync($"Patient?family:contains={token}Dyken");
    }

    [Fact]
    public async Task Given_and_name_search_every_part_of_the_name()
    {
        var token = Fhir.NewId()[..10];
        var patient = Fhir.NewPatient($"Fam{token}", $"Given{token}", $"Middle{token}");
        patient.Name[0].Prefix = [$"Dr{token}"];
        patient.Name.Add(new HumanName { Text = $"Nick{token} Name" });
        var created = await Client.CreateAsync(patient);

        await ExpectAsync($"Patient?given=given{token}", created);
        await ExpectAsync($"Patient?given=middle{token}", created);
        await ExpectAsync($"Patient?given=fam{token}");
        await ExpectAsync($"Patient?name=fam{token}", created);
        await ExpectAsync($"Patient?name=GIVEN{token}", created);
        await ExpectAsync($"Patient?name=dr{token}", created);
        await ExpectAsync($"Patient?name=nick{token}", created);
        await ExpectAsync($"Patient?name=nick{token}%20name", created);
    }

    [Fact]
    public async Task Identifier_matches_system_and_value_value_only_and_explicit_no_system()
    {
        var value = Fhir.NewId();
        var withSystem = Fhir.NewPatient(Fhir.Unique("IdSys"));
        withSystem.Identifier = [new Identifier("http://example.org/mrn", value)];
        var a = await Client.CreateAsync(withSystem);
        var otherSystem = Fhir.NewPatient(Fhir.Unique("IdOther"));
        otherSystem.Identifier = [new Identifier("http://example.org/other", value)];
        var b = await Client.CreateAsync(otherSystem);
        var noSystem = Fhir.NewPatient(Fhir.Unique("IdNone"));
        noSystem.Identifier = [new Identifier { Value = value }];
        var c = await Client.CreateAsync(noSystem);

        await ExpectAsync($"Patient?identifier={Uri.EscapeDataString($"http://example.org/mrn|{value}")}", a);
        await ExpectAsync($"Patient?identifier={value}", a, b, c);
        await ExpectAsync($"Patient?identifier=%7C{value}", c);
        await ExpectAsync($"Patient?identifier={Uri.EscapeDataString($"http://example.org/other|{value}")}", b);
        await ExpectAsync($"Patient?identifier={Uri.EscapeDataString($"http://example.org/nowhere|{value}")}");
        await ExpectAsync($"Patient?identifier={Uri.EscapeDataString("http://example.org/mrn|")}&_id={a.Id},{b.Id},{c.Id}", a);
        await ExpectAsync($"Patient?identifier={value.ToUpperInvariant()}");
    }

    [Fact]
    public async Task Gender_matches_the_code_and_supports_or_and_not()
    {
        var family = Fhir.Unique("Gender");
        var female = Fhir.NewPatient(family);
        female.Gender = AdministrativeGender.Female;
        var f = await Client.CreateAsync(female);
        var male = Fhir.NewPatient(family);
        male.Gender = AdministrativeGender.Male;
        var m = await Client.CreateAsync(male);
        var unknown = await Client.CreateAsync(Fhir.NewPatient(family));

        await ExpectAsync($"Patient?family={family}&gender=female", f);
        await ExpectAsync($"Patient?family={family}&gender=male", m);
        await ExpectAsync($"Patient?family={family}&gender=male,female", f, m);
        await ExpectAsync($"Patient?family={family}&gender:not=male", f, unknown);
        await ExpectAsync($"Patient?family={family}&gender=other");
    }

    [Fact]
    public async Task Birthdate_matches_partial_dates_and_prefixes()
    {
        var family = Fhir.Unique("Birth");
        var b1970 = await CreateBornAsync(family, "1970-03-15");
        var b1971 = await CreateBornAsync(family, "1971-06-01");
        var b1969 = await CreateBornAsync(family, "1969-12-31");
        var b1970Month = await CreateBornAsync(family, "1970-03");

        await ExpectAsync($"Patient?family={family}&birthdate=1970", b1970, b1970Month);
        await ExpectAsync($"Patient?family={family}&birthdate=eq1970-03", b1970, b1970Month);
        await ExpectAsync($"Patient?family={family}&birthdate=1970-03-15", b1970);
        await ExpectAsync($"Patient?family={family}&birthdate=ge1970-03-15", b1970, b1971, b1970Month);
        await ExpectAsync($"Patient?family={family}&birthdate=lt1970-01-01", b1969);
        await ExpectAsync($"Patient?family={family}&birthdate=ge1971", b1971);
        await ExpectAsync($"Patient?family={family}&birthdate=le1969-12-31", b1969);
        await ExpectAsync($"Patient?family={family}&birthdate=gt1970-12-31", b1971);
        await ExpectAsync($"Patient?family={family}&birthdate=ne1970", b1969, b1971);
        await ExpectAsync($"Patient?family={family}&birthdate=ge1970&birthdate=lt1971", b1970, b1970Month);
        await ExpectAsync($"Patient?family={family}&birthdate=1969,1971", b1969, b1971);
    }

    [Fact]
    public async Task Commas_are_OR_and_repeated_parameters_are_AND()
    {
        var token = Fhir.NewId()[..10];
        var both = await Client.CreateAsync(Fhir.NewPatient($"Alpha{token}", $"Ann{token}", $"Beth{token}"));
        var annOnly = await Client.CreateAsync(Fhir.NewPatient($"Beta{token}", $"Ann{token}"));
        var bethOnly = await Client.CreateAsync(Fhir.NewPatient($"Gamma{token}", $"Beth{token}"));

        await ExpectAsync($"Patient?family=alpha{token},beta{token}", both, annOnly);
        await ExpectAsync($"Patient?given=ann{token},beth{token}", both, annOnly, bethOnly);
        await ExpectAsync($"Patient?given=ann{token}&given=beth{token}", both);
        await ExpectAsync($"Patient?given=ann{token}&family=beta{token},gamma{token}", annOnly);
    }

    [Fact]
    public async Task Missing_true_and_false_select_resources_without_and_with_a_value()
    {
        var family = Fhir.Unique("Missing");
        var born = await CreateBornAsync(family, "1980-01-01");
        var unborn = await Client.CreateAsync(Fhir.NewPatient(family));

        await ExpectAsync($"Patient?family={family}&birthdate:missing=true", unborn);
        await ExpectAsync($"Patient?family={family}&birthdate:missing=false", born);
        await ExpectAsync($"Patient?family={family}&gender:missing=true", born, unborn);
    }

    [Fact]
    public async Task POST_search_with_a_form_body_matches_GET_search()
    {
        var family = Fhir.Unique("PostSearch");
        var patient = await CreateBornAsync(family, "1990-05-05");

        using var response = await Client.PostAsync("Patient/_search", new FormUrlEncodedContent([new("family", family), new("birthdate", "1990")]));

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal([patient.Id!], Fhir.MatchIds(await Fhir.ReadAsync<Bundle>(response)));
    }

    [Theory]
    [InlineData("family")]
    [InlineData("given")]
    [InlineData("birthdate")]
    [InlineData("gender")]
    [InlineData("identifier")]
    [InlineData("_lastUpdated")]
    [InlineData("general-practitioner")]
    public async Task A_search_parameter_with_an_empty_value_is_ignored_or_rejected_never_a_server_error(string parameter)
    {
        var family = Fhir.Unique("Empty");
        var patient = await Client.CreateAsync(Fhir.NewPatient(family));

        using var response = await Client.GetAsync($"Patient?family={family}&{parameter}=");

        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal([patient.Id!], Fhir.MatchIds(await Fhir.ReadAsync<Bundle>(response)));
        }
        else
        {
            await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [InlineData("birthdate=1970-13")]
    [InlineData("birthdate=yesterday")]
    [InlineData("_lastUpdated=gtnow")]
    [InlineData("family:fuzzy=x")]
    [InlineData("gender:exact=male")]
    [InlineData("general-practitioner=NotAType/1")]
    public async Task Invalid_search_values_and_modifiers_return_400(string query)
    {
        using var response = await Client.GetAsync($"Patient?{query}");
        await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_empty_searchset_is_valid_FHIR_JSON()
    {
        using var response = await Client.GetAsync($"Patient?family={Fhir.Unique("Nobody")}");

        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var bundle = Fhir.ParseStrict<Bundle>(await response.Content.ReadAsStringAsync());
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        Assert.Empty(bundle.Entry);
    }

    [Fact]
    public async Task A_searchset_is_valid_FHIR_JSON_with_fullUrls_and_match_modes()
    {
        var family = Fhir.Unique("Valid");
        var patient = await Client.CreateAsync(Fhir.NewPatient(family));

        using var response = await Client.GetAsync($"Patient?family={family}");

        var bundle = Fhir.ParseStrict<Bundle>(await response.Content.ReadAsStringAsync());
        var entry = Assert.Single(bundle.Entry);
        Assert.Equal($"{server.BaseUrl}/Patient/{patient.Id}", entry.FullUrl);
        Assert.Equal(Bundle.SearchEntryMode.Match, entry.Search?.Mode);
        Assert.Contains(bundle.Link, l => l.Relation == "self" && l.Url!.StartsWith($"{server.BaseUrl}/Patient?", StringComparison.Ordinal));
    }

    private async Task<Patient> CreateBornAsync(string family, string birthDate)
    {
        var patient = Fhir.NewPatient(family);
        patient.BirthDate = birthDate;
        return await Client.CreateAsync(patient);
    }

    private async Task ExpectAsync(string url, params Resource[] expected)
    {
        var found = await Client.SearchIdsAsync(url);
        Assert.True(found.Count == found.Distinct().Count(), $"{url} returned duplicates: {string.Join(", ", found)}");
        var want = expected.Select(r => r.Id!).Order(StringComparer.Ordinal).ToList();
        var got = found.Order(StringComparer.Ordinal).ToList();
        Assert.True(want.SequenceEqual(got), $"{url}\n expected [{string.Join(", ", want)}]\n      got [{string.Join(", ", got)}]");
    }
}
