using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Carelake.Core.Fhir;
using Carelake.Core.Resources;
using Carelake.Core.Search;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Carelake.Benchmarks;

/// <summary>
/// The CPU stages of a transaction write over the real Synthea corpus (../shared/data/synthea/r4-transaction-bundles,
/// 14,492 resources; 42 % Observations): strict parse, index extraction, and the whole per-write preparation (meta
/// stamp + serialise + extract). One operation processes every resource once; divide by 14,492 for µs/resource.
/// <c>dotnet run -c Release --project bench/Carelake.Benchmarks -- --filter '*SyntheaWritePath*'</c>
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class SyntheaWritePathBenchmarks
{
    private List<byte[]> _json = [];
    private Resource[] _resources = [];
    private SearchIndexer _indexer = null!;
    private ResourceService _service = null!;

    private static readonly JsonSerializerOptions Unvalidated =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector, new FhirJsonConverterOptions { Validator = null });

    [GlobalSetup]
    public void Setup()
    {
        var folder = Path.Combine(FindShared(), "synthea", "r4-transaction-bundles");
        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var entry in document.RootElement.GetProperty("entry").EnumerateArray())
            {
                _json.Add(JsonSerializer.SerializeToUtf8Bytes(entry.GetProperty("resource")));
            }
        }

        _resources = [.. _json.Select(j => FhirSerialization.ParseJson(j))];
        _indexer = new SearchIndexer(Samples.Registry());
        _service = new ResourceService(IndexingBenchmarks.NoStore.Create(), _indexer, TimeProvider.System);
        Console.WriteLine($"// {_resources.Length} Synthea resources");
    }

    /// <summary>What the server runs: the parse without Firely's validation hook, then StructuralChecks in one walk.</summary>
    [Benchmark]
    public int Parse()
    {
        var count = 0;
        foreach (var json in _json)
        {
            count += FhirSerialization.ParseJson(json) is null ? 0 : 1;
        }

        return count;
    }

    /// <summary>The parse the server ran before: Firely's strict deserializer with its per-element validation hook.</summary>
    [Benchmark]
    public int ParseWithFirelyValidationHook()
    {
        var count = 0;
        foreach (var json in _json)
        {
            count += JsonSerializer.Deserialize<Resource>(json, FhirSerialization.StrictJson) is null ? 0 : 1;
        }

        return count;
    }

    /// <summary>
    /// The same parse with Firely's POCO validation switched off (<c>Validator = null</c>) and nothing after it: the first
    /// half of <see cref="Parse"/> alone, so the difference is what the checks walk costs.
    /// </summary>
    [Benchmark]
    public int ParseWithoutPocoValidation()
    {
        var count = 0;
        foreach (var json in _json)
        {
            count += JsonSerializer.Deserialize<Resource>(json, Unvalidated) is null ? 0 : 1;
        }

        return count;
    }

    [Benchmark]
    public int Extract()
    {
        var count = 0;
        foreach (var resource in _resources)
        {
            count += _indexer.Extract(resource).Count;
        }

        return count;
    }

    [Benchmark]
    public int PrepareWrite()
    {
        var count = 0;
        foreach (var resource in _resources)
        {
            resource.Id ??= ResourceIds.NewId();
            count += _service.PrepareWrite(resource, 1, 0, "POST").Indexes.Count;
        }

        return count;
    }

    private static string FindShared()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var sibling = Path.Combine(directory.FullName, "..", "shared", "data");
            if (Directory.Exists(sibling))
            {
                return Path.GetFullPath(sibling);
            }
        }

        throw new DirectoryNotFoundException("../shared/data was not found beside the repository.");
    }
}
