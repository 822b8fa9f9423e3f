using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Carelake.Core.Tests.Generation;

/// <summary>Checks on the content of a generated data set, as a FHIR client would see it (parsed NDJSON).</summary>
public sealed partial class GeneratedDataTests(GeneratedDataSetFixture data) : IClassFixture<GeneratedDataSetFixture>
{
    private const string Loinc = "http://loinc.org";
    private const string Snomed = "http://snomed.info/sct";
    private const string Ucum = "http://unitsofmeasure.org";

    private static readonly Dictionary<string, string> VitalUnits = new(StringComparer.Ordinal)
    {
        ["8867-4"] = "/min",
        ["9279-1"] = "/min",
        ["8310-5"] = "Cel",
        ["29463-7"] = "kg",
        ["8302-2"] = "cm",
        ["39156-5"] = "kg/m2",
        ["2708-6"] = "%",
    };

    private static readonly Dictionary<string, string> LabUnits = new(StringComparer.Ordinal)
    {
        ["2339-0"] = "mg/dL",
        ["2160-0"] = "mg/dL",
        ["718-7"] = "g/dL",
        ["6690-2"] = "10*3/uL",
        ["2823-3"] = "mmol/L",
        ["2951-2"] = "mmol/L",
        ["4548-4"] = "%",
    };

    // Which resource type each kind of reference must point to.
    private static readonly Dictionary<string, string> ReferenceTargets = new(StringComparer.Ordinal)
    {
        ["subject"] = "Patient",
        ["patient"] = "Patient",
        ["encounter"] = "Encounter",
        ["serviceProvider"] = "Organization",
        ["managingOrganization"] = "Organization",
        ["generalPractitioner"] = "Practitioner",
        ["requester"] = "Practitioner",
        ["recorder"] = "Practitioner",
        ["individual"] = "Practitioner",
        ["actor"] = "Practitioner",
        ["location"] = "Location",
        ["partOf"] = "Location",
        ["reasonReference"] = "Condition",
        ["condition"] = "Condition",
    };

    [Fact]
    public void Every_required_resource_type_is_present()
    {
        string[] required =
        [
            "Patient", "Practitioner", "Organization", "Location", "Encounter", "Condition", "Observation",
            "MedicationRequest", "Procedure", "Immunization", "AllergyIntolerance",
        ];

        foreach (var type in required)
        {
            Assert.True(data.Summary.CountsByType.GetValueOrDefault(type) > 0, $"no {type}");
        }

        Assert.Equal(GeneratedDataSetFixture.Patients, data.Summary.CountsByType["Patient"]);
    }

    [Fact]
    public void Records_average_between_50_and_120_resources_per_patient()
    {
        var perPatient = (double)data.Summary.Total / GeneratedDataSetFixture.Patients;

        Assert.InRange(perPatient, 50, 120);
    }

    [Fact]
    public void Ids_follow_fhir_id_rules_and_are_unique()
    {
        var ids = data.Resources.Select(r => (string)r["id"]!).ToList();

        Assert.All(ids, id => Assert.Matches(FhirId(), id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_reference_resolves_to_a_generated_resource_of_the_right_type()
    {
        var known = data.Resources.Select(r => $"{r["resourceType"]}/{r["id"]}").ToHashSet(StringComparer.Ordinal);
        var checkedReferences = 0;
        foreach (var resource in data.Resources)
        {
            foreach (var (property, reference) in References(resource, property: ""))
            {
                Assert.Matches(RelativeReference(), reference);
                Assert.Contains(reference, known);
                Assert.True(ReferenceTargets.TryGetValue(property, out var expectedType), $"unexpected reference property {property}");
                Assert.StartsWith(expectedType + "/", reference, StringComparison.Ordinal);
                checkedReferences++;
            }
        }

        Assert.True(checkedReferences > data.Resources.Count, "expected several references per resource");
    }

    [Fact]
    public void Vital_signs_carry_loinc_codes_and_ucum_units()
    {
        var vitals = data.OfType("Observation").Where(o => CategoryCode(o) == "vital-signs").ToList();

        Assert.All(vitals, o =>
        {
            Assert.Equal("http://terminology.hl7.org/CodeSystem/observation-category", (string?)o["category"]![0]!["coding"]![0]!["system"]);
            Assert.Equal(Loinc, CodingSystem(o["code"]));
            Assert.Equal("final", (string?)o["status"]);
            Assert.NotNull(o["effectiveDateTime"]);
            var code = CodingCode(o["code"])!;
            if (code == "85354-9")
            {
                AssertBloodPressurePanel(o);
            }
            else
            {
                Assert.True(VitalUnits.TryGetValue(code, out var unit), $"unexpected vital sign {code}");
                AssertUcumQuantity(o["valueQuantity"], unit);
            }
        });

        var present = vitals.Select(o => CodingCode(o["code"])).ToHashSet(StringComparer.Ordinal);
        Assert.All(VitalUnits.Keys.Append("85354-9"), code => Assert.Contains(code, present));
    }

    [Fact]
    public void Laboratory_results_carry_ucum_units_and_reference_ranges()
    {
        var labs = data.OfType("Observation").Where(o => CategoryCode(o) == "laboratory").ToList();

        Assert.NotEmpty(labs);
        Assert.All(labs, o =>
        {
            var code = CodingCode(o["code"])!;
            Assert.Equal(Loinc, CodingSystem(o["code"]));
            Assert.True(LabUnits.TryGetValue(code, out var unit), $"unexpected lab {code}");
            AssertUcumQuantity(o["valueQuantity"], unit);
            var range = o["referenceRange"]![0]!;
            AssertUcumQuantity(range["low"], unit);
            AssertUcumQuantity(range["high"], unit);
            Assert.True((decimal)range["low"]!["value"]! < (decimal)range["high"]!["value"]!);
        });
        Assert.Equal(LabUnits.Count, labs.Select(o => CodingCode(o["code"])).Distinct().Count());
    }

    [Fact]
    public void Diabetics_have_higher_glucose_and_hba1c()
    {
        var diabetics = data.OfType("Condition")
            .Where(c => CodingCode(c["code"]) == "44054006")
            .Select(c => (string)c["subject"]!["reference"]!)
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(diabetics);
        foreach (var (code, minimumDifference) in new[] { ("2339-0", 30m), ("4548-4", 1m) })
        {
            var values = data.OfType("Observation")
                .Where(o => CodingCode(o["code"]) == code)
                .Select(o => (Diabetic: diabetics.Contains((string)o["subject"]!["reference"]!), Value: (decimal)o["valueQuantity"]!["value"]!))
                .ToList();
            var diabetic = values.Where(v => v.Diabetic).Average(v => v.Value);
            var others = values.Where(v => !v.Diabetic).Average(v => v.Value);
            Assert.True(diabetic - others > minimumDifference, $"{code}: diabetics {diabetic}, others {others}");
        }
    }

    [Fact]
    public void Encounters_use_v3_act_code_classes_and_are_fully_linked()
    {
        var encounters = data.OfType("Encounter").ToList();

        Assert.All(encounters, e =>
        {
            Assert.Equal("http://terminology.hl7.org/CodeSystem/v3-ActCode", (string?)e["class"]!["system"]);
            Assert.Contains((string?)e["class"]!["code"], new[] { "AMB", "EMER", "IMP" });
            Assert.NotNull(e["type"]);
            Assert.NotNull(e["period"]!["start"]);
            Assert.NotNull(e["period"]!["end"]);
            Assert.NotNull(e["serviceProvider"]);
            Assert.NotNull(e["participant"]![0]!["individual"]);
            Assert.NotNull(e["location"]![0]!["location"]);
        });
        Assert.Equal(3, encounters.Select(e => (string?)e["class"]!["code"]).Distinct().Count());
    }

    [Fact]
    public void Inpatient_stays_last_one_to_fourteen_days_and_have_a_discharge_disposition()
    {
        var stays = InpatientStays().ToList();

        Assert.NotEmpty(stays);
        Assert.All(stays, stay =>
        {
            var days = (stay.End.Date - stay.Start.Date).Days;
            Assert.InRange(days, 1, 14);
            Assert.NotNull(stay.Resource["hospitalization"]!["dischargeDisposition"]!["coding"]![0]!["code"]);
        });
    }

    [Fact]
    public void Some_inpatient_stays_are_followed_by_a_readmission_within_30_days()
    {
        var stays = InpatientStays().ToList();
        var readmissions = stays
            .GroupBy(s => (string)s.Resource["subject"]!["reference"]!, StringComparer.Ordinal)
            .SelectMany(g =>
            {
                var ordered = g.OrderBy(s => s.Start).ToList();
                return ordered.Zip(ordered.Skip(1), (index, next) => next.Start - index.End);
            })
            .Count(gap => gap > TimeSpan.Zero && gap <= TimeSpan.FromDays(30));

        Assert.True(readmissions >= 3, $"only {readmissions} readmissions among {stays.Count} stays");
        Assert.InRange((double)readmissions / stays.Count, 0.05, 0.25);
    }

    [Fact]
    public void No_date_lies_after_the_reference_time()
    {
        var latest = DateTimeOffset.MinValue;
        foreach (var resource in data.Resources)
        {
            foreach (var value in StringValues(resource))
            {
                if (DateTimeOffset.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
                {
                    latest = at > latest ? at : latest;
                    Assert.Equal(GeneratedDataSetFixture.ReferenceNow.Offset, at.Offset);
                }
            }
        }

        Assert.InRange(latest, GeneratedDataSetFixture.ReferenceNow.AddDays(-60), GeneratedDataSetFixture.ReferenceNow);
    }

    [Fact]
    public void Patients_have_plausible_demographics()
    {
        var patients = data.OfType("Patient").ToList();
        var now = GeneratedDataSetFixture.ReferenceNow;
        var ages = patients.Select(p => (now - DateTimeOffset.Parse((string)p["birthDate"]!, CultureInfo.InvariantCulture)).TotalDays / 365.25).ToList();

        Assert.All(patients, p =>
        {
            Assert.Equal("http://carelake.dev/fhir/mrn", (string?)p["identifier"]![0]!["system"]);
            Assert.False(string.IsNullOrEmpty((string?)p["identifier"]![0]!["value"]));
            Assert.NotNull(p["name"]![0]!["family"]);
            Assert.NotNull(p["name"]![0]!["given"]);
            Assert.Contains((string?)p["gender"], new[] { "male", "female" });
            Assert.NotNull(p["address"]![0]!["city"]);
            Assert.NotNull(p["address"]![0]!["state"]);
            Assert.Matches("^[0-9]{5}$", (string?)p["address"]![0]!["postalCode"]);
            Assert.NotNull(p["telecom"]);
            Assert.Equal("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", (string?)p["maritalStatus"]!["coding"]![0]!["system"]);
        });
        Assert.All(ages, age => Assert.InRange(age, 0, 96));
        Assert.Contains(ages, age => age < 5);
        Assert.Contains(ages, age => age > 80);
        Assert.Contains(patients, p => p["deceasedDateTime"] is not null);
        Assert.Equal(2, patients.Select(p => (string?)p["gender"]).Distinct().Count());
    }

    [Fact]
    public void Practitioners_have_valid_npis()
    {
        Assert.All(data.OfType("Practitioner"), p =>
        {
            var identifier = p["identifier"]![0]!;
            Assert.Equal("http://hl7.org/fhir/sid/us-npi", (string?)identifier["system"]);
            var npi = (string)identifier["value"]!;
            Assert.Matches("^[12][0-9]{9}$", npi);
            Assert.True(LuhnValid("80840" + npi), $"NPI {npi} fails its check digit");
            Assert.NotNull(p["name"]![0]!["family"]);
        });
    }

    [Fact]
    public void Hospital_wards_have_beds()
    {
        var locations = data.OfType("Location").ToList();
        var wards = locations.Where(l => CodingCode(l["physicalType"]) == "wa").ToList();
        var bedsPerWard = locations
            .Where(l => CodingCode(l["physicalType"]) == "bd")
            .GroupBy(l => (string)l["partOf"]!["reference"]!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        Assert.NotEmpty(wards);
        Assert.All(wards, w => Assert.True(bedsPerWard.GetValueOrDefault($"Location/{w["id"]}") > 0, $"ward {w["name"]} has no beds"));
    }

    [Theory]
    [InlineData("Condition", "code", Snomed)]
    [InlineData("Condition", "clinicalStatus", "http://terminology.hl7.org/CodeSystem/condition-clinical")]
    [InlineData("Condition", "verificationStatus", "http://terminology.hl7.org/CodeSystem/condition-ver-status")]
    [InlineData("Procedure", "code", Snomed)]
    [InlineData("MedicationRequest", "medicationCodeableConcept", "http://www.nlm.nih.gov/research/umls/rxnorm")]
    [InlineData("Immunization", "vaccineCode", "http://hl7.org/fhir/sid/cvx")]
    [InlineData("AllergyIntolerance", "code", Snomed)]
    [InlineData("AllergyIntolerance", "clinicalStatus", "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical")]
    [InlineData("AllergyIntolerance", "verificationStatus", "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification")]
    public void Clinical_codes_use_the_expected_code_systems(string resourceType, string element, string system)
    {
        var resources = data.OfType(resourceType).ToList();

        Assert.NotEmpty(resources);
        Assert.All(resources, r => Assert.Equal(system, CodingSystem(r[element])));
    }

    [Fact]
    public void Clinical_resources_carry_their_essential_elements()
    {
        Assert.All(data.OfType("Condition"), c => Assert.NotNull(c["onsetDateTime"]));
        Assert.All(data.OfType("MedicationRequest"), m =>
        {
            Assert.Equal("order", (string?)m["intent"]);
            Assert.NotNull(m["authoredOn"]);
            Assert.NotNull(m["requester"]);
            Assert.False(string.IsNullOrEmpty((string?)m["dosageInstruction"]![0]!["text"]));
        });
        Assert.All(data.OfType("Procedure"), p => Assert.NotNull(p["performedPeriod"]!["start"]));
        Assert.All(data.OfType("Immunization"), i =>
        {
            Assert.Equal("completed", (string?)i["status"]);
            Assert.NotNull(i["occurrenceDateTime"]);
        });
        Assert.All(data.OfType("AllergyIntolerance"), a => Assert.NotNull(a["criticality"]));
    }

    private IEnumerable<(JsonObject Resource, DateTimeOffset Start, DateTimeOffset End)> InpatientStays() =>
        data.OfType("Encounter")
            .Where(e => (string?)e["class"]!["code"] == "IMP")
            .Select(e => (e, Parse(e["period"]!["start"]), Parse(e["period"]!["end"])));

    private static DateTimeOffset Parse(JsonNode? value) => DateTimeOffset.Parse((string)value!, CultureInfo.InvariantCulture);

    private static void AssertBloodPressurePanel(JsonObject observation)
    {
        Assert.Null(observation["valueQuantity"]);
        var components = observation["component"]!.AsArray();
        Assert.Equal(new[] { "8480-6", "8462-4" }, components.Select(c => CodingCode(c!["code"])));
        Assert.All(components, c =>
        {
            Assert.Equal(Loinc, CodingSystem(c!["code"]));
            AssertUcumQuantity(c["valueQuantity"], "mm[Hg]");
        });
    }

    private static void AssertUcumQuantity(JsonNode? quantity, string unit)
    {
        Assert.NotNull(quantity);
        Assert.Equal(Ucum, (string?)quantity["system"]);
        Assert.Equal(unit, (string?)quantity["code"]);
        Assert.NotNull(quantity["value"]);
    }

    private static string? CategoryCode(JsonObject observation) => CodingCode(observation["category"]?[0]);

    private static string? CodingCode(JsonNode? concept) => (string?)concept?["coding"]?[0]?["code"];

    private static string? CodingSystem(JsonNode? concept) => (string?)concept?["coding"]?[0]?["system"];

    /// <summary>All {"reference": "..."} values with the name of the element that holds them.</summary>
    private static IEnumerable<(string Property, string Reference)> References(JsonNode? node, string property)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["reference"] is JsonValue value)
                {
                    yield return (property, (string)value!);
                }

                foreach (var (name, child) in obj)
                {
                    foreach (var found in References(child, name))
                    {
                        yield return found;
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    foreach (var found in References(item, property))
                    {
                        yield return found;
                    }
                }

                break;
        }
    }

    private static IEnumerable<string> StringValues(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => StringValues(p.Value)),
        JsonArray array => array.SelectMany(StringValues),
        JsonValue value when value.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    private static bool LuhnValid(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var digit = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                digit = digit * 2 > 9 ? (digit * 2) - 9 : digit * 2;
            }

            sum += digit;
        }

        return sum % 10 == 0;
    }

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex FhirId();

    [GeneratedRegex("^[A-Za-z]+/[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex RelativeReference();
}
