using System.Text.Json;
using Carelake.Core.Bundles;
using Carelake.Core.Fhir;
using Carelake.Core.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Carelake.Core.Tests.Bundles;

/// <summary>
/// A transaction rewrites its resources in place, once per attempt (no copy per attempt): each attempt must set every
/// bundle-local reference to that attempt's id and leave no trace of an earlier attempt's ids.
/// </summary>
public sealed class ReferenceSlotsTests
{
    [Fact]
    public void Each_attempt_rewrites_references_from_what_the_client_sent_not_from_the_previous_attempt()
    {
        var observation = new Observation
        {
            Subject = new ResourceReference("urn:uuid:patient"),
            Performer = [new ResourceReference("Practitioner/kept")],
            Extension = [new Extension("http://example.org/link", new ResourceReference("urn:uuid:patient"))],
            Contained = [new Provenance { Target = [new ResourceReference("urn:uuid:encounter")], Policy = ["urn:uuid:encounter"] }],
            Code = new CodeableConcept("urn:uuid:patient", "not-a-reference"),
        };
        var slots = ReferenceSlots.Of(observation);

        slots.Apply(new Dictionary<string, string> { ["urn:uuid:patient"] = "Patient/first", ["urn:uuid:encounter"] = "Encounter/first" });
        Assert.Equal("Patient/first", observation.Subject.Reference);
        Assert.Equal("Patient/first", ((ResourceReference)observation.Extension[0].Value!).Reference);
        Assert.Equal("Encounter/first", ((Provenance)observation.Contained[0]).Target[0].Reference);
        Assert.Equal("Encounter/first", ((Provenance)observation.Contained[0]).Policy.Single());
        Assert.Equal("Patient/first", observation.Code.Coding[0].System);
        Assert.Equal("Practitioner/kept", observation.Performer[0].Reference);

        // A retry with new ids, one of them no longer in the map: back to what the client sent.
        slots.Apply(new Dictionary<string, string> { ["urn:uuid:patient"] = "Patient/second" });
        Assert.Equal("Patient/second", observation.Subject.Reference);
        Assert.Equal("Patient/second", ((ResourceReference)observation.Extension[0].Value!).Reference);
        Assert.Equal("urn:uuid:encounter", ((Provenance)observation.Contained[0]).Target[0].Reference);
        Assert.Equal("urn:uuid:encounter", ((Provenance)observation.Contained[0]).Policy.Single());
        Assert.Equal(
            new[] { "Practitioner/kept", "urn:uuid:encounter", "urn:uuid:patient", "urn:uuid:patient" },
            slots.SentReferences.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_slots_noted_while_a_bundle_is_parsed_are_the_ones_a_walk_of_each_entry_finds()
    {
        var compared = 0;
        foreach (var file in Directory.GetFiles(SharedData.PathOf("synthea", "r4-transaction-bundles"), "*.json").Order(StringComparer.Ordinal).Take(10))
        {
            var json = File.ReadAllBytes(file);
            var parsed = (Bundle)FhirSerialization.ParseJson(json);
            var walked = (Bundle)JsonSerializer.Deserialize<Resource>(json, FhirSerialization.StrictJson)!;
            for (var i = 0; i < parsed.Entry.Count; i++)
            {
                var noted = parsed.Entry[i].Resource!.Annotation<ReferenceSlots>();
                Assert.NotNull(noted);
                Assert.Null(walked.Entry[i].Resource!.Annotation<ReferenceSlots>());
                var found = ReferenceSlots.Of(walked.Entry[i].Resource!);
                Assert.Equal(found.SentReferences.Order(StringComparer.Ordinal), noted.SentReferences.Order(StringComparer.Ordinal));
                Assert.Equal(found.Count, noted.Count);
                compared++;
            }
        }

        Assert.True(compared > 1000, $"only {compared} entries compared");
    }

    [Fact]
    public void Everything_inside_an_entry_resource_is_that_entrys_even_nested_bundles_and_parameters()
    {
        // Every official example as a POST entry of one transaction: Bundles, Parameters and contained resources
        // nested inside entries. The slots noted while parsing must be those a walk of each entry finds.
        var transaction = new System.Text.Json.Nodes.JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "transaction",
            ["entry"] = new System.Text.Json.Nodes.JsonArray([.. Directory.GetFiles(SharedData.PathOf("fhir-examples", "r4"), "*.json").Order(StringComparer.Ordinal)
                .Where(file => ParsesStrictly(File.ReadAllBytes(file)))
                .Select(file => System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!)
                .Select(resource => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                {
                    ["resource"] = resource,
                    ["request"] = new System.Text.Json.Nodes.JsonObject { ["method"] = "POST", ["url"] = resource["resourceType"]!.GetValue<string>() },
                })]),
        };
        var json = System.Text.Encoding.UTF8.GetBytes(transaction.ToJsonString());
        var parsed = (Bundle)FhirSerialization.ParseJson(json);
        var walked = (Bundle)JsonSerializer.Deserialize<Resource>(json, FhirSerialization.StrictJson)!;
        var nested = 0;
        for (var i = 0; i < parsed.Entry.Count; i++)
        {
            var found = ReferenceSlots.Of(walked.Entry[i].Resource!);
            var noted = ReferenceSlots.Of(parsed.Entry[i].Resource!);
            Assert.Equal(found.SentReferences.Order(StringComparer.Ordinal), noted.SentReferences.Order(StringComparer.Ordinal));
            Assert.Equal(found.Count, noted.Count);
            nested += parsed.Entry[i].Resource is Bundle or Parameters ? 1 : 0;
        }

        Assert.True(nested > 10, $"only {nested} entries hold nested resources");
    }

    [Fact]
    public void A_reference_in_a_resource_nested_in_an_entry_is_rewritten_and_a_copy_does_not_use_the_original_slots()
    {
        var json = System.Text.Encoding.UTF8.GetBytes("""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:0d8f0000-0000-0000-0000-000000000001","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"t"},
                "subject":{"reference":"urn:uuid:0d8f0000-0000-0000-0000-000000000001"}}}]},"request":{"method":"POST","url":"Bundle"}}]}
            """);
        var parsed = (Bundle)FhirSerialization.ParseJson(json);
        var nested = (Bundle)parsed.Entry[1].Resource!;
        var copy = (Bundle)nested.DeepCopy();

        ReferenceSlots.Of(nested).Apply(new Dictionary<string, string> { ["urn:uuid:0d8f0000-0000-0000-0000-000000000001"] = "Patient/abc" });
        Assert.Equal("Patient/abc", ((Observation)nested.Entry[0].Resource!).Subject!.Reference);

        ReferenceSlots.Of(copy).Apply(new Dictionary<string, string> { ["urn:uuid:0d8f0000-0000-0000-0000-000000000001"] = "Patient/copy" });
        Assert.Equal("Patient/copy", ((Observation)copy.Entry[0].Resource!).Subject!.Reference);
        Assert.Equal("Patient/abc", ((Observation)nested.Entry[0].Resource!).Subject!.Reference);
    }

    private static bool ParsesStrictly(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize<Resource>(json, FhirSerialization.StrictJson) is not null;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
