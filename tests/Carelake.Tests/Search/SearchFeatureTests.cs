using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Chains, reverse chains, includes, sorting with keyset paging, summaries and unit-aware quantities.</summary>
public sealed class SearchFeatureTests(TestServer server) : IClassFixture<TestServer>
{
    private async Task<(Patient Patient, Practitioner Doctor, Observation Observation)> CreateChartAsync(string family, string code, decimal value = 120)
    {
        var doctor = await server.Client.CreateAsync(new Practitioner { Name = [new HumanName { Family = family + "Doc" }] });
        var patient = await server.Client.CreateAsync(new Patient
        {
            Name = [new HumanName { Family = family }],
            GeneralPractitioner = [new ResourceReference($"Practitioner/{doctor.Id}")],
        });
        var observation = await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", code),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Performer = [new ResourceReference($"Practitioner/{doctor.Id}")],
            Value = new Quantity(value, "mg", "http://unitsofmeasure.org"),
        });
        return (patient, doctor, observation);
    }

    [Fact]
    public async Task A_chain_finds_observations_by_their_patients_name_and_two_levels_deep()
    {
        var family = Fhir.Unique("Chain");
        var (_, _, observation) = await CreateChartAsync(family, "8480-6");
        await CreateChartAsync(Fhir.Unique("Other"), "8480-6");

        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?subject:Patient.family={family}"));
        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?patient.family={family}"));
        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?subject:Patient.general-practitioner:Practitioner.family={family}Doc"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?subject:Patient.family={family}x"));
    }

    [Fact]
    public async Task Has_finds_patients_by_their_observations()
    {
        var code = Fhir.Unique("code");
        var (patient, _, _) = await CreateChartAsync(Fhir.Unique("Has"), code);

        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"Patient?_has:Observation:subject:code={code}"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Patient?_has:Observation:subject:code={code}x"));
    }

    [Fact]
    public async Task Include_revinclude_and_iterate_add_the_related_resources_once()
    {
        var code = Fhir.Unique("inc");
        var (patient, doctor, observation) = await CreateChartAsync(Fhir.Unique("Inc"), code);

        var included = await server.Client.GetResourceAsync<Bundle>($"Observation?code={code}&_include=Observation:subject&_include=Observation:performer");
        Assert.Equal(
            [("Observation", observation.Id!, "match"), ("Patient", patient.Id!, "include"), ("Practitioner", doctor.Id!, "include")],
            included.Entry.Select(e => (e.Resource!.TypeName, e.Resource.Id!, e.Search!.Mode!.Value.ToString().ToLowerInvariant())).OrderBy(t => t.TypeName).ToList());

        var iterated = await server.Client.GetResourceAsync<Bundle>($"Observation?code={code}&_include=Observation:subject&_include:iterate=Patient:general-practitioner");
        Assert.Contains(iterated.Entry, e => e.Resource!.Id == doctor.Id && e.Search!.Mode == Bundle.SearchEntryMode.Include);

        var reverse = await server.Client.GetResourceAsync<Bundle>($"Patient?_id={patient.Id}&_revinclude=Observation:subject");
        Assert.Equal([patient.Id!, observation.Id!], reverse.Entry.Select(e => e.Resource!.Id!).ToList());
    }

    [Fact]
    public async Task Sort_on_several_keys_pages_through_every_match_in_order()
    {
        var family = Fhir.Unique("Sort");
        var dates = new[] { "1980-05-01", "1975", "1990-01-02", "1975", "1960-07-08", "2001-12-31", "1975" };
        var given = new[] { "d", "c", "b", "a", "e", "f", "g" };
        for (var i = 0; i < dates.Length; i++)
        {
            await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = family, Given = [given[i]] }], BirthDate = dates[i] });
        }

        var pages = await server.Client.WalkPagesAsync($"Patient?family={family}&_sort=-birthdate,given&_count=2");
        var order = pages.SelectMany(p => p.Entry).Select(e => (Patient)e.Resource!).Select(p => $"{p.BirthDate}/{p.Name[0].Given.First()}").ToList();

        Assert.Equal(["2001-12-31/f", "1990-01-02/b", "1980-05-01/d", "1975/a", "1975/c", "1975/g", "1960-07-08/e"], order);
    }

    [Fact]
    public async Task Summary_count_returns_only_the_total_and_elements_subsets_each_resource()
    {
        var family = Fhir.Unique("Sum");
        for (var i = 0; i < 3; i++)
        {
            await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = family }], BirthDate = "1970" });
        }

        var count = await server.Client.GetResourceAsync<Bundle>($"Patient?family={family}&_summary=count");
        Assert.Equal(3, count.Total);
        Assert.Empty(count.Entry);

        var subset = await server.Client.GetResourceAsync<Bundle>($"Patient?family={family}&_elements=birthDate");
        Assert.All(subset.Entry.Select(e => (Patient)e.Resource!), p =>
        {
            Assert.Equal("1970", p.BirthDate);
            Assert.Empty(p.Name);
            Assert.Contains(p.Meta!.Tag, t => t.Code == "SUBSETTED");
        });
    }

    [Fact]
    public async Task Quantity_search_converts_units_through_UCUM()
    {
        var code = Fhir.Unique("q");
        var (_, _, observation) = await CreateChartAsync(Fhir.Unique("Ucum"), code, value: 5400);
        await server.Client.PutAsync(new Observation
        {
            Id = observation.Id,
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", code),
            Value = new Quantity(5400, "ug", "http://unitsofmeasure.org"),
        });

        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?code={code}&value-quantity=5.4|http://unitsofmeasure.org|mg"));
        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?code={code}&value-quantity=gt5|http://unitsofmeasure.org|mg"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?code={code}&value-quantity=lt5|http://unitsofmeasure.org|mg"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?code={code}&value-quantity=5.4|http://unitsofmeasure.org|g"));
    }

    [Fact]
    public async Task Compartment_search_returns_only_that_patients_resources()
    {
        var code = Fhir.Unique("cmp");
        var (patient, _, observation) = await CreateChartAsync(Fhir.Unique("Cmp"), code);
        var (other, _, _) = await CreateChartAsync(Fhir.Unique("Cmp"), code);

        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Patient/{patient.Id}/Observation?code={code}"));
        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Patient/{patient.Id}/Observation"));
        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"Patient/{patient.Id}/Patient"));
        Assert.DoesNotContain(observation.Id!, await server.Client.SearchIdsAsync($"Patient/{other.Id}/Observation"));
        var notInCompartment = await server.Client.GetAsync($"Patient/{patient.Id}/Organization");
        await Fhir.ExpectOutcomeAsync(notInCompartment, System.Net.HttpStatusCode.BadRequest);
    }

    /// <summary>A new patient's blood pressure panel (systolic 135, diastolic 85 as components) and heart rate (72/min).</summary>
    private async Task<(string Subject, Observation BloodPressure, Observation HeartRate)> CreateVitalsAsync(string family)
    {
        var patient = await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = Fhir.Unique(family) }] });
        var bloodPressure = await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "85354-9"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Component =
            [
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8480-6"), Value = new Quantity(135, "mm[Hg]", "http://unitsofmeasure.org") },
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8462-4"), Value = new Quantity(85, "mm[Hg]", "http://unitsofmeasure.org") },
            ],
        });
        var heartRate = await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Value = new Quantity(72, "/min", "http://unitsofmeasure.org"),
        });
        return ($"subject=Patient/{patient.Id}", bloodPressure, heartRate);
    }

    [Fact]
    public async Task Composite_parameters_match_both_components_within_the_same_element()
    {
        var (subject, bloodPressure, heartRate) = await CreateVitalsAsync("Bp");

        Assert.Equal([bloodPressure.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&component-code-value-quantity=http://loinc.org|8480-6$gt130"));
        // 85 is the diastolic value: the systolic code must not pair with the other component's value.
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?{subject}&component-code-value-quantity=http://loinc.org|8480-6$85"));
        Assert.Equal([bloodPressure.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&component-code-value-quantity=http://loinc.org|8462-4$85"));
        Assert.Equal([heartRate.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&code-value-quantity=http://loinc.org|8867-4$lt80"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?{subject}&code-value-quantity=http://loinc.org|8867-4$gt80"));
        Assert.Equal([heartRate.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&code-value-quantity=http://loinc.org|8867-4$72|http://unitsofmeasure.org|/min,http://loinc.org|0000-0$1"));
    }

    [Fact]
    public async Task Combo_parameters_find_the_code_and_value_of_the_observation_and_of_each_component()
    {
        // combo-* store no rows of their own: they are searched through code/component-code and their value twins.
        var (subject, bloodPressure, heartRate) = await CreateVitalsAsync("Combo");
        var both = new[] { bloodPressure.Id!, heartRate.Id! }.Order(StringComparer.Ordinal).ToList();

        Assert.Equal([bloodPressure.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code=http://loinc.org|85354-9"));
        Assert.Equal([bloodPressure.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code=http://loinc.org|8462-4"));
        Assert.Equal(both, (await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code=8480-6,8867-4")).Order(StringComparer.Ordinal));
        Assert.Equal([heartRate.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code:not=http://loinc.org|8480-6"));
        Assert.Equal(both, (await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code:missing=false")).Order(StringComparer.Ordinal));
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code:missing=true"));
        Assert.Equal([bloodPressure.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&combo-value-quantity=gt100"));
        Assert.Equal(both, (await server.Client.SearchIdsAsync($"Observation?{subject}&combo-value-quantity=ge72")).Order(StringComparer.Ordinal));
        Assert.Equal([heartRate.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&combo-value-quantity=72||/min"));
        Assert.Equal([bloodPressure.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code-value-quantity=http://loinc.org|8480-6$gt130"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code-value-quantity=http://loinc.org|8480-6$85"));
        Assert.Equal([heartRate.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&combo-code-value-quantity=http://loinc.org|8867-4$lt80"));
        // Sorted by the lowest combo value: the heart rate's 72 before the blood pressure's 85; descending by the highest.
        Assert.Equal([heartRate.Id!, bloodPressure.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&_sort=combo-value-quantity"));
        Assert.Equal([bloodPressure.Id!, heartRate.Id!], await server.Client.SearchIdsAsync($"Observation?{subject}&_sort=-combo-value-quantity"));
    }

    [Fact]
    public async Task System_search_finds_resources_of_several_types_by_a_common_parameter()
    {
        var tag = Fhir.Unique("tag");
        var patient = await server.Client.CreateAsync(new Patient { Meta = new Meta { Tag = [new Coding("http://example.org/tags", tag)] } });
        var observation = await server.Client.CreateAsync(new Observation
        {
            Meta = new Meta { Tag = [new Coding("http://example.org/tags", tag)] },
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
        });

        var both = await server.Client.GetResourceAsync<Bundle>($"?_tag=http://example.org/tags|{tag}");
        Assert.Equal(
            new[] { $"Observation/{observation.Id}", $"Patient/{patient.Id}" },
            both.Entry.Select(e => $"{e.Resource!.TypeName}/{e.Resource.Id}").Order(StringComparer.Ordinal));
        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"?_type=Patient&_tag={tag}"));
        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"Patient?_tag={tag}"));
    }

    [Fact]
    public async Task Identifier_of_type_and_uri_modifiers_and_list_membership()
    {
        var mrn = Fhir.Unique("MRN");
        var patient = await server.Client.CreateAsync(new Patient
        {
            Identifier = [new Identifier("urn:example:mrn", mrn) { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR") }],
        });
        var observation = await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference { Identifier = new Identifier("urn:example:mrn", mrn) },
        });
        var list = await server.Client.CreateAsync(new List
        {
            Status = List.ListStatus.Current,
            Mode = ListMode.Working,
            Entry = [new List.EntryComponent { Item = new ResourceReference($"Patient/{patient.Id}") }],
        });
        var profile = "http://example.org/fhir/StructureDefinition/" + Fhir.Unique("p");
        var profiled = await server.Client.CreateAsync(new Patient { Meta = new Meta { Profile = [profile + "/v2"] } });

        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?subject:identifier=urn:example:mrn|{mrn}"));
        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|{mrn}"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|DL|{mrn}"));
        Assert.Equal([patient.Id!], await server.Client.SearchIdsAsync($"Patient?_list={list.Id}"));
        Assert.Equal([profiled.Id!], await server.Client.SearchIdsAsync($"Patient?_profile:below={profile}"));
        Assert.Equal([profiled.Id!], await server.Client.SearchIdsAsync($"Patient?_profile:above={profile}/v2/extra"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Patient?_profile={profile}"));
    }

    [Fact]
    public async Task In_and_not_in_use_value_sets_stored_on_the_server()
    {
        var url = "http://example.org/fhir/ValueSet/" + Fhir.Unique("vitals");
        await server.Client.CreateAsync(new ValueSet
        {
            Url = url,
            Status = PublicationStatus.Active,
            Compose = new ValueSet.ComposeComponent
            {
                Include = [new ValueSet.ConceptSetComponent { System = "http://loinc.org", Concept = [new ValueSet.ConceptReferenceComponent { Code = "8867-4" }, new ValueSet.ConceptReferenceComponent { Code = "9279-1" }] }],
            },
        });
        var family = Fhir.Unique("In");
        var patient = await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = family }] });
        async Task<Observation> ObservationAsync(string code) => await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", code),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
        });
        var heartRate = await ObservationAsync("8867-4");
        var respiration = await ObservationAsync("9279-1");
        var glucose = await ObservationAsync("2339-0");

        var inSet = await server.Client.SearchIdsAsync($"Observation?subject=Patient/{patient.Id}&code:in={url}");
        Assert.Equal(new[] { heartRate.Id!, respiration.Id! }.Order(StringComparer.Ordinal), inSet.Order(StringComparer.Ordinal));
        Assert.Equal([glucose.Id!], await server.Client.SearchIdsAsync($"Observation?subject=Patient/{patient.Id}&code:not-in={url}"));
        await Fhir.ExpectOutcomeAsync(await server.Client.GetAsync("Observation?code:in=http://example.org/unknown"), System.Net.HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Text_searches_the_narrative_and_content_searches_all_text()
    {
        var word = Fhir.Unique("zebra");
        var other = Fhir.Unique("okapi");
        var withNarrative = await server.Client.CreateAsync(new Patient
        {
            Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">Seen for <b>{word}</b> bites</div>" },
        });
        var withContent = await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = other, Text = $"{word} keeper" }] });

        Assert.Equal([withNarrative.Id!], await server.Client.SearchIdsAsync($"Patient?_text={word}"));
        Assert.Equal([withNarrative.Id!], await server.Client.SearchIdsAsync($"Patient?_text={word} bites"));
        Assert.Empty(await server.Client.SearchIdsAsync($"Patient?_text={word} kittens"));
        var content = await server.Client.SearchIdsAsync($"Patient?_content={word}");
        Assert.Equal(new[] { withNarrative.Id!, withContent.Id! }.Order(StringComparer.Ordinal), content.Order(StringComparer.Ordinal));
        Assert.Equal([withContent.Id!], await server.Client.SearchIdsAsync($"Patient?_content={other}&_content={word}"));
    }

    [Fact]
    public async Task Content_search_finds_the_display_text_of_a_code_but_not_the_code_or_a_date()
    {
        var word = Fhir.Unique("quokka");
        var code = Fhir.Unique("zq");
        var observation = await server.Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://example.org/codes", code, $"{word} reading"),
            Effective = new FhirDateTime("1931-04-17T10:21:33+02:00"),
        });

        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?_content={word}"));
        // Codes and dates have their own parameters; as words they are noise (docs/fhir-api.md).
        Assert.Empty(await server.Client.SearchIdsAsync($"Observation?_content={code}"));
        Assert.DoesNotContain(observation.Id!, await server.Client.SearchIdsAsync("Observation?_content=1931"));
        Assert.Equal([observation.Id!], await server.Client.SearchIdsAsync($"Observation?code=http://example.org/codes|{code}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("&_sort=-birthdate,given")]
    public async Task Previous_links_walk_back_through_the_same_pages(string sort)
    {
        var family = Fhir.Unique("Prev");
        for (var i = 0; i < 7; i++)
        {
            await server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = family, Given = [$"g{i % 3}"] }], BirthDate = $"19{70 + (i % 4)}" });
        }

        var forward = await server.Client.WalkPagesAsync($"Patient?family={family}&_count=3{sort}");
        Assert.Equal(3, forward.Count);
        Assert.Null(forward[0].Link.FirstOrDefault(l => l.Relation == "previous"));

        var backward = new List<List<string>>();
        var url = forward[^1].Link.Single(l => l.Relation == "previous").Url;
        while (url is not null)
        {
            var page = await server.Client.GetResourceAsync<Bundle>(url);
            backward.Add(page.Entry.Select(e => e.Resource!.Id!).ToList());
            url = page.Link.FirstOrDefault(l => l.Relation == "previous")?.Url;
        }

        backward.Reverse();
        Assert.Equal(forward.Take(2).Select(p => p.Entry.Select(e => e.Resource!.Id!).ToList()), backward);
    }

    [Fact]
    public async Task A_code_without_a_system_finds_it_under_every_system_and_pages_in_order()
    {
        var code = Fhir.Unique("multi");
        var created = new List<string>();
        foreach (var system in new[] { "http://example.org/a", "http://example.org/b", null, "http://example.org/a" })
        {
            var observation = await server.Client.CreateAsync(new Observation
            {
                Status = ObservationStatus.Final,
                Code = new CodeableConcept { Coding = [new Coding { System = system, Code = code }] },
            });
            created.Add(observation.Id!);
        }

        var single = Fhir.Unique("single");
        var singles = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            singles.Add((await server.Client.CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://example.org/a", single) })).Id!);
        }

        // Several systems: listed, every match. One system: streamed in index order, paged without gaps or repeats.
        Assert.Equal(created.Order(StringComparer.Ordinal), (await server.Client.SearchIdsAsync($"Observation?code={code}")).Order(StringComparer.Ordinal));
        var pages = await server.Client.WalkPagesAsync($"Observation?code={single}&_count=2");
        Assert.Equal(singles, pages.SelectMany(Fhir.MatchIds).ToList());
        Assert.Equal(3, pages.Count);
        Assert.Equal(singles.Take(2), Fhir.MatchIds(await server.Client.GetResourceAsync<Bundle>($"Observation?code=http://example.org/a|{single}&_count=2")));
    }
}
