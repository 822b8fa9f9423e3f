using BenchmarkDotNet.Attributes;
using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Hl7.Fhir.Model;

namespace Carelake.Benchmarks;

/// <summary>
/// The SQLite store on a temp file, opened exactly as the server opens it (<see cref="CarelakeServices.OpenAsync"/>,
/// WAL, group-commit writer). <c>Commit</c>: one <see cref="IResourceStore.CommitAsync"/> of <see cref="BatchSize"/>
/// prepared Observation writes (each a new resource, with its index rows), at synchronous FULL (the default, one
/// fsync per commit) and NORMAL, into a database that already holds 2,000 patients.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class StoreCommitBenchmarks
{
    private string _dataDir = string.Empty;
    private CarelakeServices _services = null!;
    private List<ResourceWrite> _template = [];
    private int _next;

    [Params(1, 100)]
    public int BatchSize { get; set; } = 1;

    [Params("FULL", "NORMAL")]
    public string Synchronous { get; set; } = "FULL";

    [GlobalSetup]
    public async System.Threading.Tasks.Task Setup()
    {
        _dataDir = Path.Combine(Path.GetTempPath(), "carelake-bench-" + Guid.NewGuid().ToString("N"));
        _services = await CarelakeServices.OpenAsync(
            new CarelakeOptions { DataDir = _dataDir, SqliteSynchronous = Synchronous }, TimeProvider.System, CancellationToken.None);

        // 2,000 patients already stored, written in batches of 500 like the importer does.
        var batch = new List<ResourceWrite>();
        var sample = (Patient)Samples.First("Patient");
        for (var i = 0; i < 2000; i++)
        {
            var patient = (Patient)sample.DeepCopy();
            patient.Id = ResourceIds.NewId();
            batch.Add(_services.Resources.PrepareWrite(patient, 1, 0, "POST"));
            if (batch.Count == 500)
            {
                await _services.Store.CommitAsync(batch, CancellationToken.None);
                batch = [];
            }
        }

        // The writes to commit: observations prepared once (serialised, indexed); each commit re-stamps fresh ids.
        var observation = Samples.First("Observation");
        _template = Enumerable.Range(0, BatchSize)
            .Select(_ =>
            {
                var copy = (Resource)observation.DeepCopy();
                copy.Id = ResourceIds.NewId();
                return _services.Resources.PrepareWrite(copy, 1, 0, "POST");
            })
            .ToList();
    }

    [GlobalCleanup]
    public System.Threading.Tasks.Task Cleanup() => Samples.CloseAsync(_services, _dataDir);

    [Benchmark]
    public Task<CommitResult> Commit()
    {
        var writes = new ResourceWrite[_template.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            writes[i] = _template[i] with { Id = "b" + (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }

        return _services.Store.CommitAsync(writes, CancellationToken.None);
    }
}
