using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Search on Observation, Encounter and Condition: token, reference and date parameters.</summary>
public sealed class ClinicalSearchTests(TestServer server) : IClassFixture<TestServer>
{
    private const string Loinc = "http://loinc.org";
    private const string Snomed = "http://snomed.info/sct";
    private const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string ClinicalStatus = "http://terminology.hl7.org/CodeSystem/condition-clinical";

    private HttpClient Client => server.Client;

    [Fact]
    public async Task Observation_code_matches_system_and_code_code_only_and_system_only()
    {
        var patient = await NewPatientAsync();
        var heartRate = await ObservationAsync(patient, Loinc, "8867-4", new FhirDateTime("2020-01-15T10:00:00Z"));
        var sameCodeOtherSystem = await ObservationAsync(patient, "http://example.org/local", "8867-4", new FhirDateTime("2020-01-15T10:00:00Z"));
        var weight = await ObservationAsync(patient, Loinc, "29463-7", new FhirDateTime("2020-01-15T10:00:00Z"));
        var s = $"subject=Patient/{patient.Id}";

        await ExpectAsync($"Observation?{s}&code={Uri.EscapeDataString($"{Loinc}|8867-4")}", heartRate);
        await ExpectAsync($"Observation?{s}&code=8867-4", heartRate, sameCodeOtherSystem);
        await ExpectAsync($"Observation?{s}&code={Uri.EscapeDataString($"{Loinc}|")}", heartRate, weight);
        await ExpectAsync($"Observation?{s}&code={Uri.EscapeDataString($"{Loinc}|8867-4,{Loinc}|29463-7")}", heartRate, weight);
        await ExpectAsync($"Observation?{s}&code={Uri.EscapeDataString($"{Snomed}|8867-4")}");
        await ExpectAsync($"Observation?{s}&code:not={Uri.EscapeDataString($"{Loinc}|8867-4")}", sameCodeOtherSystem, weight);
    }

    [Fact]
    public async Task Observation_subject_and_patient_match_a_typed_reference_or_a_bare_id()
    {
        var patient = await NewPatientAsync();
        var other = await NewPatientAsync();
        var group = await Client.CreateAsync(new Group { Type = Group.GroupType.Person, Actual = true });
        var mine = await ObservationAsync(patient, Loinc, "8867-4", new FhirDateTime("2020-01-15"));
        var theirs = await ObservationAsync(other, Loinc, "8867-4", new FhirDateTime("2020-01-15"));
        var ofGroup = await Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(Loinc, "8867-4"),
            Subject = new ResourceReference($"Group/{group.Id}"),
        });

        await ExpectAsync($"Observation?subject=Patient/{patient.Id}", mine);
        await ExpectAsync($"Observation?subject={patient.Id}", mine);
        await ExpectAsync($"Observation?subject:Patient={patient.Id}", mine);
        await ExpectAsync($"Observation?subject={Uri.EscapeDataString($"{server.BaseUrl}/Patient/{patient.Id}")}", mine);
        await ExpectAsync($"Observation?patient=Patient/{patient.Id}", mine);
        await ExpectAsync($"Observation?patient={patient.Id}", mine);
        await ExpectAsync($"Observation?patient={patient.Id},{other.Id}", mine, theirs);
        await ExpectAsync($"Observation?subject=Group/{group.Id}", ofGroup);
        await ExpectAsync($"Observation?patient={group.Id}");
        await ExpectAsync($"Observation?subject=Patient/{group.Id}");
    }

    [Fact]
    public async Task Observation_date_matches_dateTimes_and_periods_with_prefixes()
    {
        var patient = await NewPatientAsync();
        var january = await ObservationAsync(patient, Loinc, "8867-4", new FhirDateTime("2020-01-15T10:00:00Z"));
        var june = await ObservationAsync(patient, Loinc, "8867-4", new FhirDateTime("2020-06-01"));
        var march2021 = await ObservationAsync(patient, Loinc, "8867-4", new Period { Start = "2021-03-01", End = "2021-03-31" });
        var offset = await ObservationAsync(patient, Loinc, "8867-4", new FhirDateTime("2022-01-01T01:30:00+02:00"));
        var s = $"subject=Patient/{patient.Id}";

        await ExpectAsync($"Observation?{s}&date=2020-01-15", january);
        await ExpectAsync($"Observation?{s}&date=2020", january, june);
        await ExpectAsync($"Observation?{s}&date=ge2020-03-01&date=lt2021-01-01", june);
        await ExpectAsync($"Observation?{s}&date=gt2020-06-01", march2021, offset);
        await ExpectAsync($"Observation?{s}&date=le2020-01-15", january);
        await ExpectAsync($"Observation?{s}&date=2021-03", march2021);
        await ExpectAsync($"Observation?{s}&date=ge2021-03-15&date=le2021-03-20", march2021);
        await ExpectAsync($"Observation?{s}&date=sa2021-02-28", march2021, offset);
        await ExpectAsync($"Observation?{s}&date=eb2020-06-01", january);
        await ExpectAsync($"Observation?{s}&date=2021-12-31", offset);
        await ExpectAsync($"Observation?{s}&date={Uri.EscapeDataString("2021-12-31T23:30:00Z")}", offset);
        await ExpectAsync($"Observation?{s}&date=2019");
    }

    [Fact]
    public async Task Encounter_date_class_and_subject()
    {
        var patient = await NewPatientAsync();
        var ambulatory = await EncounterAsync(patient, "AMB", "2020-01-15T10:00:00Z", "2020-01-15T11:00:00Z");
        var inpatient = await EncounterAsync(patient, "IMP", "2020-02-01T08:00:00Z", "2020-02-10T12:00:00Z");
        var other = await EncounterAsync(await NewPatientAsync(), "AMB", "2020-01-15T10:00:00Z", "2020-01-15T11:00:00Z");
        var s = $"subject=Patient/{patient.Id}";

        await ExpectAsync($"Encounter?{s}", ambulatory, inpatient);
        await ExpectAsync($"Encounter?patient={patient.Id}", ambulatory, inpatient);
        await ExpectAsync($"Encounter?{s}&class={Uri.EscapeDataString($"{ActCode}|AMB")}", ambulatory);
        await ExpectAsync($"Encounter?{s}&class=IMP", inpatient);
        await ExpectAsync($"Encounter?subject=Patient/{patient.Id},Patient/{other.Subject!.Reference!.Split('/')[1]}&class=AMB", ambulatory, other);
        await ExpectAsync($"Encounter?{s}&date=2020-01-15", ambulatory);
        await ExpectAsync($"Encounter?{s}&date=2020-02", inpatient);
        await ExpectAsync($"Encounter?{s}&date=ge2020-02-05", inpatient);
        await ExpectAsync($"Encounter?{s}&date=lt2020-02-01", ambulatory);
        await ExpectAsync($"Encounter?{s}&date=ge2020-01-01&date=le2020-12-31", ambulatory, inpatient);
        await ExpectAsync($"Encounter?{s}&date=2019");
    }

    [Fact]
    public async Task Condition_code_clinical_status_and_patient()
    {
        var patient = await NewPatientAsync();
        var diabetes = await ConditionAsync(patient, "44054006", "active");
        var asthma = await ConditionAsync(patient, "195967001", "resolved");
        await ConditionAsync(await NewPatientAsync(), "44054006", "active");
        var p = $"patient={patient.Id}";

        await ExpectAsync($"Condition?{p}", diabetes, asthma);
        await ExpectAsync($"Condition?patient=Patient/{patient.Id}", diabetes, asthma);
        await ExpectAsync($"Condition?subject=Patient/{patient.Id}", diabetes, asthma);
        await ExpectAsync($"Condition?{p}&code={Uri.EscapeDataString($"{Snomed}|44054006")}", diabetes);
        await ExpectAsync($"Condition?{p}&code=195967001", asthma);
        await ExpectAsync($"Condition?{p}&clinical-status=active", diabetes);
        await ExpectAsync($"Condition?{p}&clinical-status={Uri.EscapeDataString($"{ClinicalStatus}|resolved")}", asthma);
        await ExpectAsync($"Condition?{p}&clinical-status=active,resolved", diabetes, asthma);
        await ExpectAsync($"Condition?{p}&clinical-status=active&code=195967001");
        await ExpectAsync($"Condition?{p}&onset-date:missing=true", diabetes, asthma);
    }

    private async Task<Patient> NewPatientAsync() => await Client.CreateAsync(Fhir.NewPatient(Fhir.Unique("Clin")));

    private async Task<Observation> ObservationAsync(Patient patient, string system, string code, DataType effective) =>
        await Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(system, code),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Effective = effective,
        });

    private async Task<Encounter> EncounterAsync(Patient patient, string classCode, string start, string end) =>
        await Client.CreateAsync(new Encounter
        {
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding(ActCode, classCode),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Period = new Period { Start = start, End = end },
        });

    private async Task<Condition> ConditionAsync(Patient patient, string code, string status) =>
        await Client.CreateAsync(new Condition
        {
            ClinicalStatus = new CodeableConcept(ClinicalStatus, status),
            Code = new CodeableConcept(Snomed, code),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
        });

    private async Task ExpectAsync(string url, params Resource[] expected)
    {
        var found = await Client.SearchIdsAsync(url);
        Assert.True(found.Count == found.Distinct().Count(), $"{url} returned duplicates: {string.Join(", ", found)}");
        var want = expected.Select(r => r.Id!).Order(StringComparer.Ordinal).ToList();
        var got = found.Order(StringComparer.Ordinal).ToList();
        Assert.True(want.SequenceEqual(got), $"{url}\n expected [{string.Join(", ", want)}]\n      got [{string.Join(", ", got)}]");
    }
}
