using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>Conditional create, update and delete, over HTTP and inside transaction and batch Bundles (issue F3).</summary>
public sealed class ConditionalInteractionTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    private const string MrnSystem = "http://hospital.example.org/mrn";

    private static Patient PatientWithMrn(string mrn, string family = "Conditional") => new()
    {
        Identifier = [new Identifier(MrnSystem, mrn)],
        Name = [new HumanName { Family = family }],
    };

    private Task<HttpResponseMessage> PostIfNoneExistAsync(Resource resource, string condition) =>
        Client.SendAsync(HttpMethod.Post, resource.TypeName, Fhir.JsonContent(resource), ("If-None-Exist", condition));

    [Fact]
    public async Task Create_with_If_None_Exist_creates_once_then_returns_the_existing_resource()
    {
        var mrn = Fhir.Unique("mrn");
        using var first = await PostIfNoneExistAsync(PatientWithMrn(mrn), $"identifier={MrnSystem}|{mrn}");
        await Fhir.ExpectStatusAsync(first, HttpStatusCode.Created);
        var created = await Fhir.ReadAsync<Patient>(first);

        using var second = await PostIfNoneExistAsync(PatientWithMrn(mrn, "Changed"), $"identifier={MrnSystem}|{mrn}");
        await Fhir.ExpectStatusAsync(second, HttpStatusCode.OK);
        var existing = await Fhir.ReadAsync<Patient>(second);
        Assert.Equal(created.Id, existing.Id);
        Assert.Equal("Conditional", existing.Name[0].Family);
        Assert.EndsWith($"/Patient/{created.Id}/_history/1", Fhir.Header(second, "Location"), StringComparison.Ordinal);

        Assert.Equal([created.Id!], await Client.SearchIdsAsync($"Patient?identifier={MrnSystem}|{mrn}"));
    }

    [Fact]
    public async Task Create_with_an_ambiguous_or_invalid_condition_is_refused_and_writes_nothing()
    {
        var family = Fhir.Unique("Twins");
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("a"), family));
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("b"), family));

        using var ambiguous = await PostIfNoneExistAsync(PatientWithMrn(Fhir.Unique("c"), family), $"family={family}");
        await Fhir.ExpectOutcomeAsync(ambiguous, HttpStatusCode.PreconditionFailed);

        // An unknown parameter would widen the condition to everything: refused, not ignored.
        using var typo = await PostIfNoneExistAsync(PatientWithMrn(Fhir.Unique("d"), family), "identifer=x|y");
        await Fhir.ExpectOutcomeAsync(typo, HttpStatusCode.BadRequest);
        using var empty = await PostIfNoneExistAsync(PatientWithMrn(Fhir.Unique("e"), family), "_count=1");
        await Fhir.ExpectOutcomeAsync(empty, HttpStatusCode.BadRequest);

        Assert.Equal(2, (await Client.SearchIdsAsync($"Patient?family={family}")).Count);
    }

    [Fact]
    public async Task Concurrent_conditional_creates_of_one_identifier_from_8_clients_store_exactly_one()
    {
        for (var round = 0; round < 5; round++)
        {
            var mrn = Fhir.Unique("race");
            var start = new TaskCompletionSource();
            var clients = Enumerable.Range(0, 8).Select(async _ =>
            {
                await start.Task;
                using var response = await PostIfNoneExistAsync(PatientWithMrn(mrn), $"identifier={MrnSystem}|{mrn}");
                Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await Fhir.DescribeAsync(response));
                return (response.StatusCode, (await Fhir.ReadAsync<Patient>(response)).Id!);
            }).ToList();
            start.SetResult();
            var results = await Task.WhenAll(clients);

            Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
            Assert.Single(results.Select(r => r.Item2).Distinct());
            Assert.Single(await Client.SearchIdsAsync($"Patient?identifier={MrnSystem}|{mrn}"));
        }
    }

    /// <summary>
    /// Transactions that lose the race for a conditional create are prepared again, and the second attempt maps the
    /// patient's urn:uuid to the winner's id: every other entry must be rewritten afresh from what the client sent,
    /// with nothing left over from the losing attempt (which had pointed the references at an id that never committed).
    /// </summary>
    [Fact]
    public async Task Concurrent_transactions_with_one_conditional_patient_all_reference_the_one_that_was_stored()
    {
        for (var round = 0; round < 5; round++)
        {
            var mrn = Fhir.Unique("txrace");
            var start = new TaskCompletionSource();
            var clients = Enumerable.Range(0, 8).Select(async client =>
            {
                var patientUrn = $"urn:uuid:{Guid.NewGuid()}";
                var transaction = new Bundle
                {
                    Type = Bundle.BundleType.Transaction,
                    Entry =
                    [
                        new Bundle.EntryComponent
                        {
                            FullUrl = patientUrn,
                            Resource = PatientWithMrn(mrn),
                            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient", IfNoneExist = $"identifier={MrnSystem}|{mrn}" },
                        },
                        new Bundle.EntryComponent
                        {
                            FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                            Resource = new Observation
                            {
                                Status = ObservationStatus.Final,
                                Code = new CodeableConcept("http://loinc.org", "8867-4", $"{mrn} client {client}"),
                                Subject = new ResourceReference(patientUrn),
                                Extension = [new Extension("http://example.org/fhir/StructureDefinition/about", new FhirUri(patientUrn))],
                            },
                            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" },
                        },
                    ],
                };
                await start.Task;
                using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(transaction));
                await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
                var result = await Fhir.ReadAsync<Bundle>(response);
                return result.Entry[1].Response!.Location!;
            }).ToList();
            start.SetResult();
            var observations = await Task.WhenAll(clients);

            var patientId = Assert.Single(await Client.SearchIdsAsync($"Patient?identifier={MrnSystem}|{mrn}"));
            foreach (var location in observations)
            {
                var observation = await Client.GetResourceAsync<Observation>(location);
                Assert.Equal($"Patient/{patientId}", observation.Subject?.Reference);
                Assert.Equal($"Patient/{patientId}", Assert.IsType<FhirUri>(observation.Extension.Single().Value).Value);
            }
        }
    }

    [Fact]
    public async Task Conditional_update_creates_on_no_match_updates_one_match_and_refuses_several()
    {
        var mrn = Fhir.Unique("upd");
        using (var created = await Client.PutAsync($"Patient?identifier={MrnSystem}|{mrn}", Fhir.JsonContent(PatientWithMrn(mrn, "First"))))
        {
            await Fhir.ExpectStatusAsync(created, HttpStatusCode.Created);
        }

        var id = Assert.Single(await Client.SearchIdsAsync($"Patient?identifier={MrnSystem}|{mrn}"));
        using (var updated = await Client.PutAsync($"Patient?identifier={MrnSystem}|{mrn}", Fhir.JsonContent(PatientWithMrn(mrn, "Second"))))
        {
            await Fhir.ExpectStatusAsync(updated, HttpStatusCode.OK);
            var patient = await Fhir.ReadAsync<Patient>(updated);
            Assert.Equal((id, "2", "Second"), (patient.Id, patient.Meta!.VersionId, patient.Name[0].Family));
        }

        var wrongId = PatientWithMrn(mrn);
        wrongId.Id = "not-" + id;
        using (var mismatch = await Client.PutAsync($"Patient?identifier={MrnSystem}|{mrn}", Fhir.JsonContent(wrongId)))
        {
            await Fhir.ExpectOutcomeAsync(mismatch, HttpStatusCode.BadRequest);
        }

        var family = Fhir.Unique("Many");
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("m1"), family));
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("m2"), family));
        using (var several = await Client.PutAsync($"Patient?family={family}", Fhir.JsonContent(PatientWithMrn("x", family))))
        {
            await Fhir.ExpectOutcomeAsync(several, HttpStatusCode.PreconditionFailed);
        }

        using var noCondition = await Client.PutAsync("Patient", Fhir.JsonContent(PatientWithMrn("y")));
        await Fhir.ExpectOutcomeAsync(noCondition, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Conditional_delete_deletes_one_match_ignores_none_and_refuses_several()
    {
        var mrn = Fhir.Unique("del");
        var patient = await Client.CreateAsync(PatientWithMrn(mrn));
        using (var deleted = await Client.DeleteAsync($"Patient?identifier={MrnSystem}|{mrn}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, await Fhir.DescribeAsync(deleted));
        }

        using (var gone = await Client.GetAsync($"Patient/{patient.Id}"))
        {
            await Fhir.ExpectStatusAsync(gone, HttpStatusCode.Gone);
        }

        using (var none = await Client.DeleteAsync($"Patient?identifier={MrnSystem}|{mrn}"))
        {
            Assert.True(none.IsSuccessStatusCode, await Fhir.DescribeAsync(none));
        }

        var family = Fhir.Unique("DelMany");
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("d1"), family));
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("d2"), family));
        using var several = await Client.DeleteAsync($"Patient?family={family}");
        await Fhir.ExpectOutcomeAsync(several, HttpStatusCode.PreconditionFailed);
        Assert.Equal(2, (await Client.SearchIdsAsync($"Patient?family={family}")).Count);
    }

    [Fact]
    public async Task Conditional_delete_of_several_matches_works_when_enabled_and_stays_bounded()
    {
        var multiple = new TestServer { Configure = o => o.ConditionalDeleteMax = 3 };
        await multiple.InitializeAsync();
        try
        {
            var metadata = await multiple.Client.GetResourceAsync<CapabilityStatement>("metadata");
            Assert.Equal(CapabilityStatement.ConditionalDeleteStatus.Multiple, metadata.Rest[0].Resource.First(r => r.Type == "Patient").ConditionalDelete);

            var family = Fhir.Unique("Trio");
            for (var i = 0; i < 3; i++)
            {
                await multiple.Client.CreateAsync(PatientWithMrn(Fhir.Unique("t"), family));
            }

            using (var deleted = await multiple.Client.DeleteAsync($"Patient?family={family}"))
            {
                Assert.True(deleted.IsSuccessStatusCode, await Fhir.DescribeAsync(deleted));
            }

            Assert.Empty(await multiple.Client.SearchIdsAsync($"Patient?family={family}"));

            var quartet = Fhir.Unique("Quartet");
            for (var i = 0; i < 4; i++)
            {
                await multiple.Client.CreateAsync(PatientWithMrn(Fhir.Unique("q"), quartet));
            }

            using var tooMany = await multiple.Client.DeleteAsync($"Patient?family={quartet}");
            await Fhir.ExpectOutcomeAsync(tooMany, HttpStatusCode.PreconditionFailed);
            Assert.Equal(4, (await multiple.Client.SearchIdsAsync($"Patient?family={quartet}")).Count);
        }
        finally
        {
            await multiple.DisposeAsync();
        }
    }

    [Fact]
    public async Task Read_entries_with_ifNoneMatch_or_ifModifiedSince_answer_304_when_unchanged()
    {
        var patient = await Client.CreateAsync(PatientWithMrn(Fhir.Unique("read")));
        Bundle.EntryComponent Read(string? ifNoneMatch, DateTimeOffset? ifModifiedSince) => new()
        {
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{patient.Id}", IfNoneMatch = ifNoneMatch, IfModifiedSince = ifModifiedSince },
        };
        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                Read("W/\"1\"", null),
                Read("W/\"7\"", null),
                Read(null, patient.Meta!.LastUpdated!.Value.AddSeconds(1)),
                Read(null, patient.Meta.LastUpdated.Value.AddDays(-1)),
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(batch));
        var result = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal(["304 Not Modified", "200 OK", "304 Not Modified", "200 OK"], result.Entry.Select(e => e.Response!.Status).ToList());
        Assert.Null(result.Entry[0].Resource);
        Assert.Equal(patient.Id, result.Entry[1].Resource!.Id);
    }

    private static Bundle.EntryComponent ConditionalPost(string fullUrl, Resource resource, string? ifNoneExist) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName, IfNoneExist = ifNoneExist },
    };

    [Fact]
    public async Task Transaction_ifNoneExist_reuses_the_existing_resource_and_points_references_at_it()
    {
        var mrn = Fhir.Unique("tx");
        Bundle Transaction()
        {
            var patientUrn = $"urn:uuid:{Guid.NewGuid()}";
            return new Bundle
            {
                Type = Bundle.BundleType.Transaction,
                Entry =
                [
                    ConditionalPost(patientUrn, PatientWithMrn(mrn), $"identifier={MrnSystem}|{mrn}"),
                    ConditionalPost($"urn:uuid:{Guid.NewGuid()}", new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference(patientUrn) }, null),
                ],
            };
        }

        using var first = await Client.PostAsync(string.Empty, Fhir.JsonContent(Transaction()));
        await Fhir.ExpectStatusAsync(first, HttpStatusCode.OK);
        var firstResult = await Fhir.ReadAsync<Bundle>(first);
        Assert.StartsWith("201", firstResult.Entry[0].Response!.Status, StringComparison.Ordinal);

        using var second = await Client.PostAsync(string.Empty, Fhir.JsonContent(Transaction()));
        await Fhir.ExpectStatusAsync(second, HttpStatusCode.OK);
        var secondResult = await Fhir.ReadAsync<Bundle>(second);
        Assert.StartsWith("200", secondResult.Entry[0].Response!.Status, StringComparison.Ordinal);
        Assert.Equal(firstResult.Entry[0].Response!.Location, secondResult.Entry[0].Response!.Location);

        var patientId = Assert.Single(await Client.SearchIdsAsync($"Patient?identifier={MrnSystem}|{mrn}"));
        Assert.Equal(2, (await Client.SearchIdsAsync($"Observation?subject=Patient/{patientId}")).Count);
    }

    [Fact]
    public async Task Transaction_conditional_references_put_and_delete_resolve_and_an_ambiguous_one_writes_nothing()
    {
        var mrn = Fhir.Unique("ref");
        var patient = await Client.CreateAsync(PatientWithMrn(mrn));
        var doomed = Fhir.Unique("doomed");
        await Client.CreateAsync(PatientWithMrn(doomed));
        var practitionerNpi = Fhir.Unique("npi");

        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                ConditionalPost($"urn:uuid:{Guid.NewGuid()}", new Observation
                {
                    Status = ObservationStatus.Final,
                    Code = new CodeableConcept("http://loinc.org", "8867-4"),
                    Subject = new ResourceReference($"Patient?identifier={MrnSystem}|{mrn}"),
                }, null),
                new Bundle.EntryComponent
                {
                    Resource = new Practitioner { Identifier = [new Identifier("http://hl7.org/fhir/sid/us-npi", practitionerNpi)], Name = [new HumanName { Family = "Put" }] },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|{practitionerNpi}" },
                },
                new Bundle.EntryComponent
                {
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"Patient?identifier={MrnSystem}|{doomed}" },
                },
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(transaction));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        Assert.Single(await Client.SearchIdsAsync($"Observation?subject=Patient/{patient.Id}"));
        Assert.Single(await Client.SearchIdsAsync($"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|{practitionerNpi}"));
        Assert.Empty(await Client.SearchIdsAsync($"Patient?identifier={MrnSystem}|{doomed}"));

        var family = Fhir.Unique("Amb");
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("x"), family));
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("y"), family));
        var code = Fhir.Unique("code");
        var ambiguous = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                ConditionalPost($"urn:uuid:{Guid.NewGuid()}", new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://example.org", code) }, null),
                ConditionalPost($"urn:uuid:{Guid.NewGuid()}", new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://example.org", code), Subject = new ResourceReference($"Patient?family={family}") }, null),
            ],
        };
        using var failed = await Client.PostAsync(string.Empty, Fhir.JsonContent(ambiguous));
        await Fhir.ExpectOutcomeAsync(failed, HttpStatusCode.PreconditionFailed);
        Assert.Empty(await Client.SearchIdsAsync($"Observation?code={code}"));
    }

    [Fact]
    public async Task Batch_entries_with_conditions_succeed_or_fail_each_on_their_own()
    {
        var mrn = Fhir.Unique("batch");
        var family = Fhir.Unique("BatchMany");
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("b1"), family));
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("b2"), family));
        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                ConditionalPost($"urn:uuid:{Guid.NewGuid()}", PatientWithMrn(mrn), $"identifier={MrnSystem}|{mrn}"),
                ConditionalPost($"urn:uuid:{Guid.NewGuid()}", PatientWithMrn(mrn), $"identifier={MrnSystem}|{mrn}"),
                new Bundle.EntryComponent
                {
                    Resource = PatientWithMrn("z", family),
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient?family={family}" },
                },
            ],
        };

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(batch));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var result = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal(["201 Created", "200 OK", "412 Precondition Failed"], result.Entry.Select(e => e.Response!.Status).ToList());
        Assert.Single(await Client.SearchIdsAsync($"Patient?identifier={MrnSystem}|{mrn}"));
    }

    [Fact]
    public async Task Posting_every_Synthea_bundle_twice_with_identifier_conditions_creates_no_duplicate_people_or_places()
    {
        var isolated = new TestServer();
        await isolated.InitializeAsync();
        try
        {
            await PostSyntheaTwiceAsync(isolated);
        }
        finally
        {
            await isolated.DisposeAsync();
        }
    }

    private static async Task PostSyntheaTwiceAsync(TestServer isolated)
    {
        var conditioned = new[] { "Patient", "Practitioner", "Organization", "Location" };
        var files = Directory.GetFiles(SharedData.PathOf("synthea", "r4-transaction-bundles"), "*.json").Order(StringComparer.Ordinal).ToList();
        var secondPassStatuses = new List<string>();
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var file in files)
            {
                var bundle = Fhir.Parse<Bundle>(await File.ReadAllTextAsync(file));
                var conditionedIndexes = new List<int>();
                for (var i = 0; i < bundle.Entry.Count; i++)
                {
                    // What an integration engineer does with Synthea output: conditional create on the first identifier.
                    if (bundle.Entry[i].Resource is { } resource && conditioned.Contains(resource.TypeName)
                        && FirstIdentifier(resource) is { System: { } system, Value: { } value })
                    {
                        bundle.Entry[i].Request!.IfNoneExist = $"identifier={system}|{value}";
                        conditionedIndexes.Add(i);
                    }
                }

                using var response = await isolated.Client.PostAsync(string.Empty, Fhir.JsonContent(bundle));
                await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
                if (pass == 1)
                {
                    var result = await Fhir.ReadAsync<Bundle>(response);
                    secondPassStatuses.AddRange(conditionedIndexes.Select(i => result.Entry[i].Response!.Status ?? string.Empty));
                }
            }
        }

        Assert.NotEmpty(secondPassStatuses);
        Assert.All(secondPassStatuses, status => Assert.Equal("200 OK", status));
        foreach (var type in conditioned)
        {
            var bundle = await isolated.Client.GetResourceAsync<Bundle>($"{type}?_count=1000&_elements=identifier");
            var keys = bundle.Entry.Select(e => FirstIdentifier(e.Resource!) is { } i ? $"{i.System}|{i.Value}" : e.Resource!.Id).ToList();
            Assert.Equal(keys.Count, keys.Distinct().Count());
        }

        Assert.Equal(files.Count, (await isolated.Client.GetResourceAsync<Bundle>("Patient?_summary=count")).Total);
    }

    /// <summary>
    /// A transaction large enough that its entries are parsed and scanned for conditional references on every core
    /// (issue F3): the references still resolve once each and in entry order, so the first unresolvable one (by
    /// entry index, not by which core finished first) is the one reported, and nothing is written.
    /// </summary>
    [Fact]
    public async Task A_large_transactions_conditional_references_resolve_in_entry_order()
    {
        var mrn = Fhir.Unique("big");
        var patient = await Client.CreateAsync(PatientWithMrn(mrn));
        var code = Fhir.Unique("bigcode");
        Observation Observation(string subject) => new()
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://example.org", code),
            Subject = new ResourceReference(subject),
        };

        var good = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = Enumerable.Range(0, 20).Select(_ => ConditionalPost($"urn:uuid:{Guid.NewGuid()}", Observation($"Patient?identifier={MrnSystem}|{mrn}"), null)).ToList(),
        };
        using (var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(good)))
        {
            await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        }

        Assert.Equal(20, (await Client.SearchIdsAsync($"Observation?subject=Patient/{patient.Id}&code={code}&_count=100")).Count);

        var family = Fhir.Unique("BigAmb");
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("p"), family));
        await Client.CreateAsync(PatientWithMrn(Fhir.Unique("q"), family));
        var missing = Fhir.Unique("missing");
        var bad = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = Enumerable.Range(0, 20).Select(i => ConditionalPost($"urn:uuid:{Guid.NewGuid()}", Observation(i switch
            {
                13 => $"Patient?identifier={MrnSystem}|{missing}",
                17 => $"Patient?family={family}",
                _ => $"Patient?identifier={MrnSystem}|{mrn}",
            }), null)).ToList(),
        };
        using var failed = await Client.PostAsync(string.Empty, Fhir.JsonContent(bad));
        var outcome = await Fhir.ExpectOutcomeAsync(failed, HttpStatusCode.PreconditionFailed);
        Assert.Contains("Bundle.entry[13]", outcome.Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.Equal(20, (await Client.SearchIdsAsync($"Observation?subject=Patient/{patient.Id}&code={code}&_count=100")).Count);
    }

    /// <summary>A large transaction's entries are parsed in parallel; an invalid one is still a 400 that points at it.</summary>
    [Fact]
    public async Task An_invalid_resource_in_a_large_transaction_is_a_400_that_points_at_its_entry()
    {
        var code = Fhir.Unique("badentry");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = Enumerable.Range(0, 40).Select(_ => ConditionalPost($"urn:uuid:{Guid.NewGuid()}", new Observation
            {
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://example.org", code),
            }, null)).ToList(),
        };
        var json = System.Text.Json.Nodes.JsonNode.Parse(Fhir.ToJson(bundle))!;
        json["entry"]![11]!["resource"]!["effectiveDateTime"] = "not a date";

        using var response = await Client.PostAsync(string.Empty, Fhir.JsonContent(json.ToJsonString()));
        var outcome = await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(outcome.Issue, i => i.Expression.Any(e => e?.StartsWith("Bundle.entry[11].resource", StringComparison.Ordinal) == true));
        Assert.Empty(await Client.SearchIdsAsync($"Observation?code={code}"));
    }

    private static Identifier? FirstIdentifier(Resource resource) => resource switch
    {
        Patient p => p.Identifier.FirstOrDefault(),
        Practitioner p => p.Identifier.FirstOrDefault(),
        Organization o => o.Identifier.FirstOrDefault(),
        Location l => l.Identifier.FirstOrDefault(),
        _ => null,
    };
}
