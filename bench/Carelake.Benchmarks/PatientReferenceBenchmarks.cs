using BenchmarkDotNet.Attributes;
using Carelake.Core.Audit;
using Carelake.Core.Fhir;

namespace Carelake.Benchmarks;

/// <summary>
/// Finding the patients in what a search returned, for its audit record (docs/benchmarks.md, "Audit overhead"): the
/// stored JSON of every resource of one generated patient (≈ 90 resources), through the JSON tokenizer and through
/// the key scan the server uses.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 2, iterationCount: 7)]
public class PatientReferenceBenchmarks
{
    private List<(string Type, string Id, byte[] Json)> _resources = [];

    [GlobalSetup]
    public void Setup() =>
        _resources = [.. Samples.Generate(1).Where(r => r.TypeName != "Practitioner" && r.TypeName != "Organization" && r.TypeName != "Location")
            .Select(r => (r.TypeName, r.Id ?? string.Empty, FhirSerialization.ToJsonBytes(r)))];

    [Benchmark(Baseline = true)]
    public int Tokenized()
    {
        var patients = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, _, json) in _resources)
        {
            PatientReferences.CollectTokenized(json, patients);
        }

        return patients.Count;
    }

    [Benchmark]
    public int Scanned()
    {
        var patients = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (type, id, json) in _resources)
        {
            PatientReferences.Collect(type, id, json, patients);
        }

        return patients.Count;
    }
}
