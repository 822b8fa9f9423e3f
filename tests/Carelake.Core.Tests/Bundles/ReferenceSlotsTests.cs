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
}
