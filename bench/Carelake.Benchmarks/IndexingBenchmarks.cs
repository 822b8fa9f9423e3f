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
        _service = new ResourceService(new NoStore(), _indexer, TimeProvider.System);
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

    /// <summary>PrepareWrite never touches the store.</summary>
    private sealed class NoStore : IResourceStore
    {
        public string ProviderName => "none";

        public Task<IReadOnlyDictionary<(string Type, string Code), int>> InitializeAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ResourceVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ResourceVersion?> ReadVersionAsync(string type, string id, long version, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyDictionary<string, long>> CountByTypeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
