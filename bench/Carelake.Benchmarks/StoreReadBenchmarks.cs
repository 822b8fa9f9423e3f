using BenchmarkDotNet.Attributes;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Hl7.Fhir.Model;

namespace Carelake.Benchmarks;

/// <summary>
/// Reads and searches on a temp-file SQLite store holding the generated records of <see cref="Patients"/> patients
/// (about 110 resources each, plus ~250 shared Organization/Location/Practitioner resources), opened as the server
/// opens it. <c>PointRead</c> is <see cref="IResourceStore.ReadAsync"/> of a random patient (what GET Patient/id
/// costs below HTTP); the searches go through <see cref="SearchService"/> (parse, SQL, page) with real values.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class StoreReadBenchmarks
{
    private const string BaseUrl = "http://127.0.0.1/fhir";

    private string _dataDir = string.Empty;
    private CarelakeServices _services = null!;
    private string[] _patientIds = [];
    private KeyValuePair<string, string>[][] _familyQueries = [];
    private KeyValuePair<string, string>[][] _observationQueries = [];
    private Random _random = new(1);

    [Params(100)]
    public int Patients { get; set; } = 100;

    [GlobalSetup]
    public async System.Threading.Tasks.Task Setup()
    {
        _dataDir = Path.Combine(Path.GetTempPath(), "carelake-bench-" + Guid.NewGuid().ToString("N"));
        _services = await CarelakeServices.OpenAsync(
            new CarelakeOptions { DataDir = _dataDir, SqliteSynchronous = "NORMAL" }, TimeProvider.System, CancellationToken.None);
        var resources = Samples.Generate(Patients, seed: 11);
        foreach (var chunk in resources.Chunk(500))
        {
            var writes = chunk.Select(r => _services.Resources.PrepareWrite(r, 1, 0, "PUT")).ToList();
            await _services.Store.CommitAsync(writes, CancellationToken.None);
        }

        var patients = resources.OfType<Patient>().ToList();
        _patientIds = [.. patients.Select(p => p.Id!)];
        _familyQueries = [.. patients.Select(p => new[] { KeyValuePair.Create("family", p.Name[0].Family ?? string.Empty) })];
        _observationQueries = [.. resources.OfType<Observation>()
            .Where(o => o.Code?.Coding.Count > 0 && o.Subject?.Reference is not null)
            .Select(o => new[]
            {
                KeyValuePair.Create("code", $"{o.Code.Coding[0].System}|{o.Code.Coding[0].Code}"),
                KeyValuePair.Create("patient", o.Subject!.Reference!),
            })];
        Console.WriteLine($"// {resources.Count} resources stored, {_patientIds.Length} patients, {_observationQueries.Length} observation queries");
    }

    [GlobalCleanup]
    public System.Threading.Tasks.Task Cleanup() => Samples.CloseAsync(_services, _dataDir);

    [Benchmark]
    public Task<ResourceVersion?> PointRead() =>
        _services.Store.ReadAsync("Patient", _patientIds[_random.Next(_patientIds.Length)], CancellationToken.None);

    [Benchmark]
    public Task<SearchResultBundle> SearchPatientFamily() =>
        _services.Search.SearchAsync(BaseUrl, "Patient", _familyQueries[_random.Next(_familyQueries.Length)], strict: false, CancellationToken.None);

    [Benchmark]
    public Task<SearchResultBundle> SearchObservationCodePatient() =>
        _services.Search.SearchAsync(BaseUrl, "Observation", _observationQueries[_random.Next(_observationQueries.Length)], strict: false, CancellationToken.None);
}
