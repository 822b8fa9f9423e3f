using System.Reflection;
using BenchmarkDotNet.Attributes;
using Carelake.Core.Resources;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace Carelake.Benchmarks;

/// <summary>
/// Search-index extraction (<see cref="SearchIndexer.Extract"/>, FHIRPath over every parameter of the type), the
/// POCO-node wrapping it starts with, and the whole per-write preparation (<see cref="ResourceService.PrepareWrite"/>:
/// meta stamp + serialise + extract) that every create pays before it reaches the store.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class IndexingBenchmarks
{
    private SearchIndexer _indexer = null!;
    private ResourceService _service = null!;
    private Resource _resource = null!;

    [Params("Patient", "Observation", "Encounter")]
    public string ResourceType { get; set; } = "Patient";

    [GlobalSetup]
    public void Setup()
    {
        var registry = Samples.Registry();
        _indexer = new SearchIndexer(registry);
        _service = new ResourceService(NoStore.Create(), _indexer, TimeProvider.System);
        _resource = Samples.First(ResourceType);
        _resource.Id ??= "bench";
        var values = _indexer.Extract(_resource);
        Console.WriteLine($"// {ResourceType}: {registry.ForType(ResourceType).Count()} parameters, {values.Count} index values");
    }

    [Benchmark]
    public List<IndexValue> Extract() => _indexer.Extract(_resource);

    [Benchmark]
    public object ToPocoNode() => _resource.ToPocoNode(ModelInfo.ModelInspector);

    [Benchmark]
    public ResourceWrite PrepareWrite() => _service.PrepareWrite(_resource, 1, 0, "POST");

    /// <summary>
    /// PrepareWrite never touches the store: any call fails. A proxy rather than a class implementing the interface,
    /// so that the benchmark keeps compiling as <see cref="IResourceStore"/> grows.
    /// </summary>
    public class NoStore : DispatchProxy
    {
        public static IResourceStore Create() => Create<IResourceStore, NoStore>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            throw new NotSupportedException($"The indexing benchmark does not use the store ({targetMethod?.Name}).");
    }
}
