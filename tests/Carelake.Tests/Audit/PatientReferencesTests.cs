using System.Text;
using System.Text.Json;
using Carelake.Core.Audit;
using Carelake.Core.Fhir;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace Carelake.Tests.Audit;

/// <summary>The patient-reference scan of returned resources finds exactly what a JSON tokenizer finds.</summary>
public sealed class PatientReferencesTests
{
    public static TheoryData<string, string> Crafted() => new()
    {
        { "compact", """{"resourceType":"Observation","subject":{"reference":"Patient/p1"},"performer":[{"reference":"Practitioner/x"},{"reference":"Patient/p2/_history/3"}]}""" },
        { "whitespace", "{ \"subject\" : {\n  \"reference\" :\t\"Patient/p1\" } }" },
        { "escaped slash", """{"subject":{"reference":"Patient\/p1"}}""" },
        { "escaped quote in value", """{"subject":{"reference":"Patient/p\"1"}}""" },
        { "key spelled with \\u", """{"subject":{"r\u0065ference":"Patient/p1"}}""" },
        { "value spelled with \\u", """{"subject":{"reference":"\u0050atient/p1"}}""" },
        { "reference as a value", """{"code":"reference","display":"Patient/p9"}""" },
        { "reference inside a string", """{"div":"<p>\"reference\":\"Patient/p9\"</p>","subject":{"reference":"Patient/p1"}}""" },
        { "escaped backslash before a real key", """{"note":"a\\","reference":"Patient/p1"}""" },
        { "non-string value", """{"reference":{"reference":"Patient/p1"},"x":{"reference":null},"y":"Patient/p9"}""" },
        { "empty id", """{"subject":{"reference":"Patient/"},"other":{"reference":"Patient"}}""" },
        { "non-ASCII id", """{"subject":{"reference":"Patient/äö"}}""" },
        { "contained and relative", """{"contained":[{"resourceType":"Patient","id":"c"}],"subject":{"reference":"#c"},"x":{"reference":"https://example.org/fhir/Patient/ext"}}""" },
    };

    [Theory]
    [MemberData(nameof(Crafted))]
    public void Crafted_documents_give_what_the_tokenizer_gives(string name, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(Tokenized(bytes), Collected(bytes));
        if (!json.Contains("\\u", StringComparison.Ordinal))
        {
            var scanned = new SortedSet<string>(StringComparer.Ordinal);
            PatientReferences.CollectScanned(bytes, scanned);
            Assert.True(Tokenized(bytes).SetEquals(scanned), name);
        }
    }

    [Fact]
    public void The_scan_finds_what_the_tokenizer_finds_in_every_shared_example_and_Synthea_resource()
    {
        var documents = 0;
        var withPatients = 0;
        foreach (var file in Directory.EnumerateFiles(SharedData.PathOf("fhir-examples", "r4"), "*.json")
                     .Concat(Directory.EnumerateFiles(SharedData.PathOf("synthea", "r4-transaction-bundles"), "*.json")))
        {
            var raw = File.ReadAllBytes(file);
            var resource = FhirSerialization.ParseStored(raw);
            var stored = new List<byte[]> { raw, FhirSerialization.ToJsonBytes(resource) };
            if (resource is Bundle bundle)
            {
                stored.AddRange(bundle.Entry.Select(e => e.Resource).OfType<Resource>().Select(FhirSerialization.ToJsonBytes));
            }

            foreach (var json in stored)
            {
                documents++;
                var expected = Tokenized(json);
                withPatients += expected.Count > 0 ? 1 : 0;
                Assert.True(expected.SetEquals(Collected(json)), file);
                var scanned = new SortedSet<string>(StringComparer.Ordinal);
                PatientReferences.CollectScanned(json, scanned);
                Assert.True(expected.SetEquals(scanned), file);
            }
        }

        Assert.True(documents > 10_000, $"{documents} documents");
        Assert.True(withPatients > 300, $"{withPatients} documents with patient references");
    }

    private static SortedSet<string> Tokenized(byte[] json)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        PatientReferences.CollectTokenized(json, set);
        return set;
    }

    private static SortedSet<string> Collected(byte[] json)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        PatientReferences.Collect("Observation", "o", json, set);
        return set;
    }
}
