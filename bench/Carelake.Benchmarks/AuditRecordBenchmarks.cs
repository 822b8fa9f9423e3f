using BenchmarkDotNet.Attributes;
using Carelake.Core.Audit;
using Carelake.Core.Storage;
using Carelake.Hosting;

namespace Carelake.Benchmarks;

/// <summary>
/// The cost of auditing one search (docs/benchmarks.md, "Audit overhead"): <c>Build</c> makes the record of a search
/// that returned eight patients' data (the AuditEvent and its stored JSON and keys); <c>Chain</c> chains 1,000 such
/// records into the audit tables of a SQLite store opened as the server opens it, in one transaction (what the
/// store's once-a-second move of journaled read records does). The <c>Compact</c> variants do the same with the
/// compact access record the server stores for reads and searches (<see cref="AuditAccess"/>); <c>JournalCompact</c>
/// appends 1,000 of them to the read-record journal as requests do (the default: written, fsynced later).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 2, iterationCount: 7)]
public class AuditRecordBenchmarks
{
    private static readonly AuditActor Actor = new("Practitioner/dr-1", "clinician", "web-app", "10.0.0.7", null, []);
    private static readonly string[] Patients = ["p-0001", "p-0002", "p-0003", "p-0004", "p-0005", "p-0006", "p-0007", "p-0008"];
    private string _dataDir = string.Empty;
    private CarelakeServices _services = null!;

    [GlobalSetup]
    public async System.Threading.Tasks.Task Setup()
    {
        _dataDir = Path.Combine(Path.GetTempPath(), "carelake-bench-" + Guid.NewGuid().ToString("N"));
        _services = await CarelakeServices.OpenAsync(new CarelakeOptions { DataDir = _dataDir }, TimeProvider.System, CancellationToken.None);
    }

    [GlobalCleanup]
    public System.Threading.Tasks.Task Cleanup() => Samples.CloseAsync(_services, _dataDir);

    [Benchmark]
    public ResourceWrite Build() => Record();

    [Benchmark(OperationsPerInvoke = 1000)]
    public Task<CommitResult> Chain() => _services.AuditStore.Inner.CommitAsync([.. Enumerable.Range(0, 1000).Select(_ => Record())], CancellationToken.None);

    [Benchmark]
    public ResourceWrite BuildCompact() => Compact();

    [Benchmark(OperationsPerInvoke = 1000)]
    public Task<CommitResult> ChainCompact() => _services.AuditStore.Inner.CommitAsync([.. Enumerable.Range(0, 1000).Select(_ => Compact())], CancellationToken.None);

    [Benchmark(OperationsPerInvoke = 1000)]
    public async System.Threading.Tasks.Task JournalCompact()
    {
        var outbox = (IAuditOutbox)_services.AuditStore.Inner;
        for (var i = 0; i < 1000; i++)
        {
            await outbox.AppendAuditAsync(Compact(), CancellationToken.None);
        }
    }

    private static ResourceWrite Compact() => AuditAccess.Create(
        Actor, "search-type", null, 200, DateTimeOffset.UtcNow, [], Patients, "GET /fhir/Observation?patient=p-0001&code=http://loinc.org|8867-4&_count=50").ToWrite();

    private static ResourceWrite Record() => AuditRecords.ToWrite(AuditRecords.Rest(
        Actor, "search-type", null, 200, DateTimeOffset.UtcNow, [], Patients, "GET /fhir/Observation?patient=p-0001&code=http://loinc.org|8867-4&_count=50"));
}
