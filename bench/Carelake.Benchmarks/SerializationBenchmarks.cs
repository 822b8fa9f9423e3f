using BenchmarkDotNet.Attributes;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Benchmarks;

/// <summary>
/// FHIR JSON parse and serialise of one resource. <c>ParseJson</c> is the strict client-input path (create, update,
/// import); <c>ParseStored</c> the recoverable path used for data we wrote; <c>ToJsonBytes</c> runs once per write.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class SerializationBenchmarks
{
    private byte[] _json = [];
    private Resource _resource = null!;

    [Params("Patient", "Observation", "Encounter")]
    public string ResourceType { get; set; } = "Patient";

    public int JsonBytes => _json.Length;

    [GlobalSetup]
    public void Setup()
    {
        _resource = Samples.First(ResourceType);
        _json = FhirSerialization.ToJsonBytes(_resource);
        Console.WriteLine($"// {ResourceType}: {_json.Length} bytes of JSON");
    }

    [Benchmark]
    public Resource ParseJson() => FhirSerialization.ParseJson(_json);

    [Benchmark]
    public Resource ParseStored() => FhirSerialization.ParseStored(_json);

    [Benchmark]
    public byte[] ToJsonBytes() => FhirSerialization.ToJsonBytes(_resource);
}
