using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carelake.Core.Generation;
using Carelake.Import;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.SearchOracle;

[CollectionDefinition(Name)]
public sealed class OracleSuiteDefinition : ICollectionFixture<OracleFixture>
{
    public const string Name = "SearchOracle";
}

/// <summary>
/// One server for the whole oracle suite: the 50 Synthea transaction bundles (POSTed to the base URL) plus 30 generated
/// patients (seed 7), then every stored resource read back over HTTP into memory, where <see cref="Oracle"/> evaluates
/// the same queries independently. Tests only read: the data stays as loaded.
/// </summary>
public sealed class OracleFixture : IAsyncLifetime
{
    private static readonly JsonSerializerOptions FirelyOptions =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector).UsingMode(DeserializationMode.Recoverable);

    public TestServer Server { get; } = new();

    public OracleData Data { get; private set; } = null!;

    public SearchOracle Oracle { get; private set; } = null!;

    public string LoadReport { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        await Server.InitializeAsync();

        var files = Directory.GetFiles(SharedData.PathOf("synthea", "r4-transaction-bundles"), "*.json").Order(StringComparer.Ordinal).ToArray();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (file, cancellationToken) =>
        {
            using var content = new ByteArrayContent(await File.ReadAllBytesAsync(file, cancellationToken));
            content.Headers.ContentType = new("application/fhir+json");
            using var response = await Server.Client.PostAsync(Server.BaseUrl, content, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new InvalidOperationException($"{Path.GetFileName(file)}: {(int)response.StatusCode} {body[..Math.Min(500, body.Length)]}");
            }
        });
        var posted = clock.Elapsed;

        var summary = new ImportSummary();
        var generator = new SyntheticDataGenerator(seed: 7, referenceNow: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var generatedResources = generator.Generate(30).ToList();
        var patientIds = generatedResources.OfType<Patient>().Select(p => p.Id!).Take(5).ToList();
        await new ResourceImporter(Server.Services).ImportResourcesAsync(generatedResources, summary, null, CancellationToken.None);
        if (summary.Failed > 0)
        {
            throw new InvalidOperationException("Generated data failed to import: " + string.Join("; ", summary.Failures.Take(5)));
        }

        foreach (var extra in Extras(patientIds))
        {
            using var response = await Server.Client.PutAsync($"{extra.TypeName}/{extra.Id}", Carelake.Tests.Http.Fhir.JsonContent(extra));
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"PUT {extra.TypeName}/{extra.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        var generated = clock.Elapsed;

        var counts = await Server.Services.Store.CountByTypeAsync(CancellationToken.None);
        var resources = new List<Resource>();
        var json = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var type in counts.Keys.Order(StringComparer.Ordinal))
        {
            string? url = $"{Server.BaseUrl}/{type}?_count=1000";
            while (url is not null)
            {
                using var response = await Server.Client.GetAsync(url);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"GET {url}: {(int)response.StatusCode} {body[..Math.Min(500, body.Length)]}");
                }

                var bundle = JsonNode.Parse(body)!;
                foreach (var entry in bundle["entry"]?.AsArray() ?? [])
                {
                    var resource = entry!["resource"];
                    if (resource is not null && (string?)entry["search"]?["mode"] is null or "match")
                    {
                        var text = resource.ToJsonString();
                        var parsed = JsonSerializer.Deserialize<Resource>(text, FirelyOptions)!;
                        resources.Add(parsed);
                        json[OracleData.Key(parsed)] = text;
                    }
                }

                url = bundle["link"]?.AsArray().FirstOrDefault(l => (string?)l!["relation"] == "next")?["url"]?.GetValue<string>();
            }

            if (resources.Count(r => r.TypeName == type) != counts[type])
            {
                throw new InvalidOperationException($"Read back {resources.Count(r => r.TypeName == type)} {type} resources, the store counts {counts[type]}.");
            }
        }

        Data = new OracleData(resources, json, Server.BaseUrl);
        Oracle = new SearchOracle(Data);
        LoadReport = $"{resources.Count} resources; bundles posted in {posted.TotalSeconds:F1} s, generated data by {generated.TotalSeconds:F1} s, read back by {clock.Elapsed.TotalSeconds:F1} s";
    }

    public Task DisposeAsync() => Server.DisposeAsync();

    /// <summary>
    /// A few hand-made resources for what neither data set has: number and uri parameters (RiskAssessment.probability
    /// written at different precisions, canonical urls), and CodeableConcepts whose text differs from the display.
    /// </summary>
    private static IEnumerable<Resource> Extras(List<string> patients)
    {
        string[] probabilities = ["0.1", "0.15", "0.2", "0.25", "0.5", "0.50", "0.55", "0.45", "0.049", "0.951", "1", "100", "1e1", "0.3333"];
        for (var i = 0; i < probabilities.Length; i++)
        {
            yield return new RiskAssessment
            {
                Id = $"oracle-risk-{i:D2}",
                Status = ObservationStatus.Final,
                Subject = new ResourceReference("Patient/" + patients[i % patients.Count]),
                Occurrence = new FhirDateTime($"2025-{(i % 12) + 1:D2}-15T10:00:00Z"),
                Method = new CodeableConcept("http://example.org/risk-method", i % 2 == 0 ? "score-a" : "score-b"),
                Prediction =
                [
                    new RiskAssessment.PredictionComponent
                    {
                        Outcome = new CodeableConcept("http://snomed.info/sct", "38341003", "Hypertensive disorder", "High blood pressure"),
                        Probability = new FhirDecimal(decimal.Parse(probabilities[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)),
                    },
                ],
            };
        }

        string[] urls = ["http://example.org/fhir/ValueSet/oracle-a", "http://example.org/fhir/ValueSet/oracle-a-extended", "http://example.org/fhir/ValueSet/Oracle-B", "urn:oid:2.16.840.1.113883.3.9999.1"];
        for (var i = 0; i < urls.Length; i++)
        {
            yield return new ValueSet { Id = $"oracle-vs-{i}", Url = urls[i], Status = PublicationStatus.Active, Name = $"OracleValueSet{i}", Version = i % 2 == 0 ? "1.0.0" : "2.0.0" };
        }

        foreach (var extra in TerminologyExtras(patients))
        {
            yield return extra;
        }

        yield return new Condition
        {
            Id = "oracle-condition-text-1",
            Subject = new ResourceReference("Patient/" + patients[0]),
            Code = new CodeableConcept("http://snomed.info/sct", "38341003", "Hypertensive disorder", "High blood pressure"),
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            RecordedDate = "2024-03-05",
        };
        yield return new Condition
        {
            Id = "oracle-condition-text-2",
            Subject = new ResourceReference("Patient/" + patients[1]),
            Code = new CodeableConcept { Text = "Tired all the time" },
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            RecordedDate = "2024-03",
        };
    }

    /// <summary>
    /// Value sets over codes the data uses, a small code system with a hierarchy and conditions coded in it, a List,
    /// canonical references with versions, logical (identifier-only) references, and resources with contained ones.
    /// </summary>
    private static IEnumerable<Resource> TerminologyExtras(List<string> patients)
    {
        yield return new ValueSet
        {
            Id = "oracle-vs-vitals",
            Url = "http://example.org/fhir/ValueSet/oracle-vitals",
            Status = PublicationStatus.Active,
            Compose = new ValueSet.ComposeComponent
            {
                Include =
                [
                    new ValueSet.ConceptSetComponent
                    {
                        System = "http://loinc.org",
                        Concept = [new ValueSet.ConceptReferenceComponent { Code = "8302-2" }, new ValueSet.ConceptReferenceComponent { Code = "29463-7" }, new ValueSet.ConceptReferenceComponent { Code = "8867-4" }],
                    },
                ],
            },
        };
        yield return new ValueSet
        {
            Id = "oracle-vs-expanded",
            Url = "http://example.org/fhir/ValueSet/oracle-expanded",
            Status = PublicationStatus.Active,
            Expansion = new ValueSet.ExpansionComponent
            {
                Timestamp = "2026-01-01",
                Contains =
                [
                    new ValueSet.ContainsComponent
                    {
                        System = "http://snomed.info/sct",
                        Code = "404684003",
                        Abstract = true,
                        Contains =
                        [
                            new ValueSet.ContainsComponent { System = "http://snomed.info/sct", Code = "444814009" },
                            new ValueSet.ContainsComponent { System = "http://snomed.info/sct", Code = "38341003" },
                        ],
                    },
                    new ValueSet.ContainsComponent { System = "http://snomed.info/sct", Code = "72892002" },
                ],
            },
        };
        yield return new ValueSet
        {
            Id = "oracle-vs-all-cvx",
            Url = "http://example.org/fhir/ValueSet/oracle-all-cvx",
            Status = PublicationStatus.Active,
            Compose = new ValueSet.ComposeComponent { Include = [new ValueSet.ConceptSetComponent { System = "http://hl7.org/fhir/sid/cvx" }] },
        };

        // disorder > (heart > (mi, angina), lung); pain > angina (a second parent, by property).
        var findingsSystem = TestCodeSystems.Findings("http://example.org/fhir/CodeSystem/oracle-findings");
        findingsSystem.Id = "oracle-cs";
        yield return findingsSystem;
        string[] findings = ["disorder", "heart", "mi", "angina", "lung", "pain", "mi", "angina"];
        for (var i = 0; i < findings.Length; i++)
        {
            yield return new Condition
            {
                Id = $"oracle-finding-{i}",
                Subject = new ResourceReference("Patient/" + patients[i % patients.Count]),
                Code = new CodeableConcept("http://example.org/fhir/CodeSystem/oracle-findings", findings[i]),
                Note = [new Annotation { Text = $"Oracle finding {findings[i]} noted by the night shift" }],
            };
        }

        yield return new List
        {
            Id = "oracle-list",
            Status = List.ListStatus.Current,
            Mode = ListMode.Working,
            Entry =
            [
                new List.EntryComponent { Item = new ResourceReference("Patient/" + patients[0]) },
                new List.EntryComponent { Item = new ResourceReference("Patient/" + patients[2]) },
                new List.EntryComponent { Item = new ResourceReference("Condition/oracle-finding-3") },
                new List.EntryComponent { Item = new ResourceReference("Condition/oracle-condition-text-1") },
            ],
        };

        string[] questionnaires = ["http://example.org/fhir/Questionnaire/phq9|1.0", "http://example.org/fhir/Questionnaire/phq9|2.0", "http://example.org/fhir/Questionnaire/phq9", "http://example.org/fhir/Questionnaire/gad7|1.0"];
        for (var i = 0; i < questionnaires.Length; i++)
        {
            yield return new QuestionnaireResponse
            {
                Id = $"oracle-qr-{i}",
                Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed,
                Questionnaire = questionnaires[i],
                Subject = new ResourceReference("Patient/" + patients[i % patients.Count]),
            };
        }

        for (var i = 0; i < 3; i++)
        {
            yield return new Observation
            {
                Id = $"oracle-logical-{i}",
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", "72166-2"),
                Subject = new ResourceReference("Patient/" + patients[i]),
                Performer = [new ResourceReference { Identifier = new Identifier("http://hl7.org/fhir/sid/us-npi", $"99990000{i % 2}"), Display = "Logical performer" }],
            };
        }

        string[] families = ["Containedsmith", "Containedjones", "Containedsmith"];
        for (var i = 0; i < families.Length; i++)
        {
            yield return new Observation
            {
                Id = $"oracle-container-{i}",
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", "72166-2"),
                Contained =
                [
                    new Patient { Id = $"oracle-cp-{i}", Name = [new HumanName { Family = families[i], Given = ["Ann"] }], Gender = i == 1 ? AdministrativeGender.Male : AdministrativeGender.Female },
                    new Practitioner { Id = $"oracle-cd-{i}", Name = [new HumanName { Family = "Containeddoc" }] },
                ],
                Subject = new ResourceReference($"#oracle-cp-{i}"),
                Performer = [new ResourceReference($"#oracle-cd-{i}")],
            };
        }

        // A stored patient with the same family name: found without _contained, and with _contained=both.
        yield return new Patient { Id = "oracle-stored-containedsmith", Name = [new HumanName { Family = "Containedsmith" }], Gender = AdministrativeGender.Female };
    }
}
