using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Patient/$everything (issue F3).</summary>
public sealed class PatientOperationTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    private sealed record Chart(Patient Patient, Practitioner Doctor, Organization Clinic, Medication Drug, Encounter Old, Encounter Recent, Observation OldObservation, Observation RecentObservation, MedicationRequest Prescription);

    private async Task<Chart> CreateChartAsync()
    {
        var clinic = await Client.CreateAsync(new Organization { Name = Fhir.Unique("Clinic") });
        var doctor = await Client.CreateAsync(new Practitioner { Name = [new HumanName { Family = Fhir.Unique("Doc") }] });
        var drug = await Client.CreateAsync(new Medication { Code = new CodeableConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "197361") });
        var patient = await Client.CreateAsync(new Patient
        {
            Name = [new HumanName { Family = Fhir.Unique("Everything") }],
            GeneralPractitioner = [new ResourceReference($"Practitioner/{doctor.Id}")],
            ManagingOrganization = new ResourceReference($"Organization/{clinic.Id}"),
        });
        var subject = new ResourceReference($"Patient/{patient.Id}");
        Encounter Visit(string start) => new()
        {
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
            Subject = subject,
            ServiceProvider = new ResourceReference($"Organization/{clinic.Id}"),
            Period = new Period { Start = start, End = start },
        };
        var old = await Client.CreateAsync(Visit("2019-03-01T10:00:00Z"));
        var recent = await Client.CreateAsync(Visit("2021-06-01T10:00:00Z"));
        Observation Reading(string when, Encounter encounter) => new()
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = subject,
            Encounter = new ResourceReference($"Encounter/{encounter.Id}"),
            Effective = new FhirDateTime(when),
            Performer = [new ResourceReference($"Practitioner/{doctor.Id}")],
        };
        var oldObservation = await Client.CreateAsync(Reading("2019-03-01T10:05:00Z", old));
        var recentObservation = await Client.CreateAsync(Reading("2021-06-01T10:05:00Z", recent));
        var prescription = await Client.CreateAsync(new MedicationRequest
        {
            Status = MedicationRequest.MedicationrequestStatus.Active,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Subject = subject,
            Medication = new ResourceReference($"Medication/{drug.Id}"),
            AuthoredOn = "2021-06-01",
        });

        // Another patient's data must never appear.
        var other = await Client.CreateAsync(new Patient { Name = [new HumanName { Family = Fhir.Unique("Other") }] });
        await Client.CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference($"Patient/{other.Id}") });
        return new Chart(patient, doctor, clinic, drug, old, recent, oldObservation, recentObservation, prescription);
    }

    private static string Key(Resource resource) => $"{resource.TypeName}/{resource.Id}";

    private static (List<string> Matches, List<string> Included) Split(IEnumerable<Bundle> pages)
    {
        var entries = pages.SelectMany(p => p.Entry).ToList();
        return (
            entries.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => Key(e.Resource!)).Order(StringComparer.Ordinal).ToList(),
            entries.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Include).Select(e => Key(e.Resource!)).Distinct().Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task Everything_returns_the_patient_its_compartment_and_what_they_refer_to()
    {
        var chart = await CreateChartAsync();
        var (matches, included) = Split(await Client.WalkPagesAsync($"Patient/{chart.Patient.Id}/$everything"));

        Assert.Equal(
            new Resource[] { chart.Patient, chart.Old, chart.Recent, chart.OldObservation, chart.RecentObservation, chart.Prescription }.Select(Key).Order(StringComparer.Ordinal),
            matches);
        Assert.Contains(Key(chart.Doctor), included);
        Assert.Contains(Key(chart.Clinic), included);
        Assert.Contains(Key(chart.Drug), included);
    }

    [Fact]
    public async Task Everything_pages_filters_by_type_care_dates_and_since()
    {
        var chart = await CreateChartAsync();

        var pages = await Client.WalkPagesAsync($"Patient/{chart.Patient.Id}/$everything?_count=2");
        Assert.Equal(3, pages.Count);
        Assert.Equal(6, Split(pages).Matches.Distinct().Count());

        var observations = Split(await Client.WalkPagesAsync($"Patient/{chart.Patient.Id}/$everything?_type=Observation")).Matches;
        Assert.Equal(new[] { chart.OldObservation, chart.RecentObservation }.Select(Key).Order(StringComparer.Ordinal), observations);

        // start=2020: the 2019 visit and reading drop out; the patient (no care date) stays.
        var since2020 = Split(await Client.WalkPagesAsync($"Patient/{chart.Patient.Id}/$everything?start=2020-01-01")).Matches;
        Assert.Equal(new Resource[] { chart.Patient, chart.Recent, chart.RecentObservation, chart.Prescription }.Select(Key).Order(StringComparer.Ordinal), since2020);
        var in2019 = Split(await Client.WalkPagesAsync($"Patient/{chart.Patient.Id}/$everything?start=2019-01-01&end=2019-12-31&_type=Encounter,Observation")).Matches;
        Assert.Equal(new Resource[] { chart.Old, chart.OldObservation }.Select(Key).Order(StringComparer.Ordinal), in2019);

        var before = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        await Task.Delay(20);
        chart.Recent.Status = Encounter.EncounterStatus.EnteredInError;
        await Client.PutAsync(chart.Recent);
        var changed = Split(await Client.WalkPagesAsync($"Patient/{chart.Patient.Id}/$everything?_since={before.AddMilliseconds(10):yyyy-MM-ddTHH:mm:ss.fffZ}")).Matches;
        Assert.Equal([Key(chart.Recent)], changed);
    }

    private static Parameters MetaParameters(Meta meta) => new() { Parameter = [new Parameters.ParameterComponent { Name = "meta", Value = meta }] };

    [Fact]
    public async Task Meta_add_and_meta_delete_change_tags_labels_and_profiles_as_sets()
    {
        var patient = await Client.CreateAsync(new Patient { Active = true, Meta = new Meta { Tag = [new Coding("http://example.org/tags", "a")] } });
        var tag = Fhir.Unique("t");
        var change = new Meta
        {
            Tag = [new Coding("http://example.org/tags", "a", "display ignored"), new Coding("http://example.org/tags", tag)],
            Security = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")],
            Profile = ["http://example.org/StructureDefinition/my-patient"],
        };

        using (var added = await Client.PostAsync($"Patient/{patient.Id}/$meta-add", Fhir.JsonContent(MetaParameters(change))))
        {
            await Fhir.ExpectStatusAsync(added, HttpStatusCode.OK);
            var meta = (Meta)(await Fhir.ReadAsync<Parameters>(added)).Parameter.Single(p => p.Name == "return").Value!;
            Assert.Equal(["a", tag], meta.Tag.Select(t => t.Code).ToList());
            Assert.Equal(["R"], meta.Security.Select(t => t.Code).ToList());
            Assert.Equal(["http://example.org/StructureDefinition/my-patient"], meta.Profile.ToList());
            Assert.Equal("2", meta.VersionId);
        }

        // Adding the same again changes nothing (no new version); the tag is searchable.
        using (var again = await Client.PostAsync($"Patient/{patient.Id}/$meta-add", Fhir.JsonContent(MetaParameters(change))))
        {
            Assert.Equal("2", ((Meta)(await Fhir.ReadAsync<Parameters>(again)).Parameter[0].Value!).VersionId);
        }

        Assert.Equal([patient.Id!], await Client.SearchIdsAsync($"Patient?_tag=http://example.org/tags|{tag}"));

        using (var deleted = await Client.PostAsync($"Patient/{patient.Id}/$meta-delete", Fhir.JsonContent(MetaParameters(new Meta { Tag = [new Coding("http://example.org/tags", tag)], Security = change.Security }))))
        {
            await Fhir.ExpectStatusAsync(deleted, HttpStatusCode.OK);
        }

        var read = await Client.GetResourceAsync<Parameters>($"Patient/{patient.Id}/$meta");
        var current = (Meta)read.Parameter.Single(p => p.Name == "return").Value!;
        Assert.Equal("3", current.VersionId);
        Assert.Equal(["a"], current.Tag.Select(t => t.Code).ToList());
        Assert.Empty(current.Security);
        Assert.Empty(await Client.SearchIdsAsync($"Patient?_tag=http://example.org/tags|{tag}"));

        using var bad = await Client.PostAsync($"Patient/{patient.Id}/$meta-add", Fhir.JsonContent(new Parameters { Parameter = [new Parameters.ParameterComponent { Name = "x", Value = new FhirString("y") }] }));
        await Fhir.ExpectOutcomeAsync(bad, HttpStatusCode.BadRequest);
        using var unknown = await Client.GetAsync($"Patient/{Fhir.NewId()}/$meta");
        await Fhir.ExpectOutcomeAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Type_and_system_meta_list_the_tags_labels_and_profiles_in_use()
    {
        var tag = Fhir.Unique("tag");
        var profile = "http://example.org/StructureDefinition/" + Fhir.Unique("p");
        await Client.CreateAsync(new Patient { Active = true, Meta = new Meta { Tag = [new Coding("http://example.org/tags", tag)], Profile = [profile] } });
        await Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Meta = new Meta { Security = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")] },
        });

        static Meta Of(Parameters parameters) => (Meta)parameters.Parameter.Single(p => p.Name == "return").Value!;
        var patients = Of(await Client.GetResourceAsync<Parameters>("Patient/$meta"));
        Assert.Contains(patients.Tag, t => t.System == "http://example.org/tags" && t.Code == tag);
        Assert.Contains(profile, patients.Profile);
        Assert.DoesNotContain(patients.Security, s => s.Code == "R");

        var everything = Of(await Client.GetResourceAsync<Parameters>("$meta"));
        Assert.Contains(everything.Tag, t => t.Code == tag);
        Assert.Contains(everything.Security, s => s.Code == "R");
    }

    [Fact]
    public async Task Everything_of_an_unknown_patient_or_with_a_bad_parameter_is_an_error()
    {
        using var unknown = await Client.GetAsync($"Patient/{Fhir.NewId()}/$everything");
        await Fhir.ExpectOutcomeAsync(unknown, HttpStatusCode.NotFound);

        var patient = await Client.CreateAsync(new Patient { Active = true });
        using var badType = await Client.GetAsync($"Patient/{patient.Id}/$everything?_type=Organization");
        await Fhir.ExpectOutcomeAsync(badType, HttpStatusCode.BadRequest);
        using var badDate = await Client.GetAsync($"Patient/{patient.Id}/$everything?start=yesterday");
        await Fhir.ExpectOutcomeAsync(badDate, HttpStatusCode.BadRequest);
        using var badParameter = await Client.GetAsync($"Patient/{patient.Id}/$everything?family=x");
        await Fhir.ExpectOutcomeAsync(badParameter, HttpStatusCode.BadRequest);
    }
}
