using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>$validate and the validation policy on write (issue F3), with the Firely validator.</summary>
public sealed class ValidationTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    private const string VitalSigns = "http://hl7.org/fhir/StructureDefinition/vitalsigns";

    private async Task<OperationOutcome> ValidateAsync(Resource resource, string? profile = null)
    {
        var url = $"{resource.TypeName}/$validate" + (profile is null ? string.Empty : $"?profile={Uri.EscapeDataString(profile)}");
        using var response = await Client.PostAsync(url, Fhir.JsonContent(resource));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        return await Fhir.ReadAsync<OperationOutcome>(response);
    }

    private static List<OperationOutcome.IssueComponent> Errors(OperationOutcome outcome) =>
        outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList();

    private static Observation ValidObservation() => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate"),
        Subject = new ResourceReference("Patient/example"),
    };

    /// <summary>Each broken in one way the strict parser lets through, and a word the finding must mention.</summary>
    public static TheoryData<string, string> Broken => new()
    {
        { "observation without status (cardinality 1..1)", "status" },
        { "observation without code (cardinality 1..1)", "code" },
        { "allergy with a clinical status outside its required value set", "clinicalStatus" },
        { "condition with a verification status outside its required value set", "verificationStatus" },
        { "local reference without a contained resource (ref-1)", "ref-1" },
        { "period ending before it starts (per-1)", "per-1" },
        { "quantity with a code but no system (qty-3)", "qty-3" },
        { "observation with a value and a data-absent reason (obs-6)", "obs-6" },
        { "extension with a value and nested extensions (ext-1)", "ext-1" },
        { "patient contact with no details (pat-1)", "pat-1" },
        { "observation component without a code (cardinality 1..1)", "code" },
        { "vital sign without the vital-signs category (profile)", "category" },
    };

    private static Resource Make(string name)
    {
        switch (name)
        {
            case "observation without status (cardinality 1..1)":
                var noStatus = ValidObservation();
                noStatus.Status = null;
                return noStatus;
            case "observation without code (cardinality 1..1)":
                var noCode = ValidObservation();
                noCode.Code = null!;
                return noCode;
            case "allergy with a clinical status outside its required value set":
                return new AllergyIntolerance
                {
                    Patient = new ResourceReference("Patient/example"),
                    ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "sometimes"),
                };
            case "condition with a verification status outside its required value set":
                return new Condition
                {
                    Subject = new ResourceReference("Patient/example"),
                    VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "probably"),
                };
            case "local reference without a contained resource (ref-1)":
                var local = ValidObservation();
                local.Performer = [new ResourceReference("#nobody")];
                return local;
            case "period ending before it starts (per-1)":
                return new Encounter
                {
                    Status = Encounter.EncounterStatus.Finished,
                    Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
                    Period = new Period { Start = "2020-05-02", End = "2020-05-01" },
                };
            case "quantity with a code but no system (qty-3)":
                var quantity = ValidObservation();
                quantity.Value = new Quantity { Value = 72, Code = "/min" };
                return quantity;
            case "observation with a value and a data-absent reason (obs-6)":
                var both = ValidObservation();
                both.Value = new Quantity(72, "/min", "http://unitsofmeasure.org");
                both.DataAbsentReason = new CodeableConcept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown");
                return both;
            case "extension with a value and nested extensions (ext-1)":
                var extended = ValidObservation();
                extended.Extension = [new Extension("http://example.org/ext", new FhirString("x")) { Extension = [new Extension("http://example.org/inner", new FhirString("y"))] }];
                return extended;
            case "patient contact with no details (pat-1)":
                return new Patient { Contact = [new Patient.ContactComponent { Gender = AdministrativeGender.Female }] };
            case "observation component without a code (cardinality 1..1)":
                var component = ValidObservation();
                component.Component = [new Observation.ComponentComponent { Value = new Quantity(120, "mm[Hg]", "http://unitsofmeasure.org") }];
                return component;
            case "vital sign without the vital-signs category (profile)":
                var vital = ValidObservation();
                vital.Meta = new Meta { Profile = [VitalSigns] };
                vital.Effective = new FhirDateTime("2024-01-01T10:00:00Z");
                vital.Value = new Quantity(72, "/min", "http://unitsofmeasure.org");
                return vital;
            default:
                throw new ArgumentException(name);
        }
    }

    [Theory]
    [MemberData(nameof(Broken))]
    public async Task Validate_finds_the_error_in_a_broken_resource(string name, string mentioned)
    {
        var outcome = await ValidateAsync(Make(name));
        var errors = Errors(outcome);
        Assert.True(errors.Count > 0, $"{name}: no errors in {Fhir.ToJson(outcome)}");
        Assert.Contains(errors, e => $"{e.Diagnostics} {string.Join(" ", e.Expression)} {e.Details?.Text}".Contains(mentioned, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Validate_accepts_valid_resources_and_the_official_examples()
    {
        Assert.Empty(Errors(await ValidateAsync(ValidObservation())));
        string[] examples = ["Patient-example.json", "Observation-example.json", "Encounter-example.json", "AllergyIntolerance-example.json", "Condition-example.json", "Practitioner-example.json", "Organization-1.json"];
        foreach (var file in examples)
        {
            var resource = Fhir.Parse<Resource>(await File.ReadAllTextAsync(SharedData.PathOf("fhir-examples", "r4", file)));
            var errors = Errors(await ValidateAsync(resource));
            Assert.True(errors.Count == 0, $"{file}: {string.Join(" | ", errors.Select(e => e.Diagnostics))}");
        }
    }

    [Fact]
    public async Task Validate_uses_profiles_stored_on_the_server_and_the_profile_parameter()
    {
        // A copy of the core vital-signs profile under our own URL, uploaded like an implementation guide's profile.
        var core = (StructureDefinition)Hl7.Fhir.Specification.Source.ZipSource.CreateValidationSource().ResolveByCanonicalUri(VitalSigns)!;
        var url = "http://example.org/fhir/StructureDefinition/" + Fhir.Unique("my-vitals");
        core.Id = null;
        core.Url = url;
        await Client.CreateAsync(core);

        var observation = ValidObservation();
        Assert.Empty(Errors(await ValidateAsync(observation)));
        Assert.Contains(Errors(await ValidateAsync(observation, url)), e => e.Diagnostics?.Contains("category", StringComparison.OrdinalIgnoreCase) == true);

        var parameters = new Parameters
        {
            Parameter =
            [
                new Parameters.ParameterComponent { Name = "resource", Resource = observation },
                new Parameters.ParameterComponent { Name = "profile", Value = new FhirUri(url) },
                new Parameters.ParameterComponent { Name = "mode", Value = new Code("create") },
            ],
        };
        using var response = await Client.PostAsync("Observation/$validate", Fhir.JsonContent(parameters));
        Assert.NotEmpty(Errors(await Fhir.ReadAsync<OperationOutcome>(response)));
    }

    [Fact]
    public async Task Instance_validate_checks_the_stored_version_and_update_mode_checks_the_id()
    {
        var stored = await Client.CreateAsync(ValidObservation());
        using (var get = await Client.GetAsync($"Observation/{stored.Id}/$validate"))
        {
            Assert.Empty(Errors(await Fhir.ReadAsync<OperationOutcome>(get)));
        }

        var other = ValidObservation();
        other.Id = "someone-else";
        using var update = await Client.PostAsync($"Observation/{stored.Id}/$validate?mode=update", Fhir.JsonContent(other));
        Assert.NotEmpty(Errors(await Fhir.ReadAsync<OperationOutcome>(update)));
    }

    [Fact]
    public async Task Write_policies_none_profiles_in_meta_and_core_refuse_what_they_promise()
    {
        var backwards = Make("period ending before it starts (per-1)");
        var vital = Make("vital sign without the vital-signs category (profile)");
        var unknownProfile = ValidObservation();
        unknownProfile.Meta = new Meta { Profile = ["http://example.org/StructureDefinition/not-here"] };

        // Default (none): the strict parse only (it already refuses missing required elements and unknown codes).
        using (var accepted = await Client.PostAsync("Encounter", Fhir.JsonContent(backwards)))
        {
            await Fhir.ExpectStatusAsync(accepted, HttpStatusCode.Created);
        }

        foreach (var (policy, backwardsStatus, vitalStatus) in new[] { ("profiles-in-meta", HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity), ("core", HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity) })
        {
            var policed = new TestServer { Configure = o => o.Validation = policy };
            await policed.InitializeAsync();
            try
            {
                using (var first = await policed.Client.PostAsync("Encounter", Fhir.JsonContent(backwards)))
                {
                    await Fhir.ExpectStatusAsync(first, backwardsStatus);
                }

                using (var second = await policed.Client.PostAsync("Observation", Fhir.JsonContent(vital)))
                {
                    await Fhir.ExpectStatusAsync(second, vitalStatus);
                    var outcome = await Fhir.ReadAsync<OperationOutcome>(second);
                    Assert.Contains(outcome.Issue, i => i.Diagnostics?.Contains("category", StringComparison.OrdinalIgnoreCase) == true);
                }

                // A claimed profile the server does not have is not a reason to refuse data.
                using var third = await policed.Client.PostAsync("Observation", Fhir.JsonContent(unknownProfile));
                await Fhir.ExpectStatusAsync(third, HttpStatusCode.Created);
            }
            finally
            {
                await policed.DisposeAsync();
            }
        }
    }
}
