using System.Text.Json;
using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Core.Jobs;

/// <summary>
/// $reindex: makes the SearchParameter resources stored on the server active and rebuilds index rows of existing
/// resources (all types, or the types asked for), in batches, recording a cursor after each so an interrupted job
/// resumes where it stopped. Writes made meanwhile are indexed with the new parameters as soon as they are installed.
/// </summary>
public sealed class ReindexJob(IResourceStore store, SearchParameterRegistry registry, SearchIndexer indexer, IReadOnlyList<SearchParameterInfo> standard)
{
    public const string Kind = "reindex";
    private const int BatchSize = 500;

    public static string Request(IReadOnlyList<string> types) => JsonSerializer.Serialize(new ReindexRequest(types));

    /// <summary>Standard parameters with the registered custom ones (those whose URL the store recorded) laid over them.</summary>
    public static async Task<IReadOnlyList<SearchParameterInfo>> ActiveCustomAsync(IResourceStore store, CancellationToken cancellationToken)
    {
        var registered = await store.RegisteredSearchParameterUrlsAsync(cancellationToken);
        var custom = SearchParameterRegistry.CustomDefinitions(await LoadSearchParametersAsync(store, cancellationToken));
        return custom.Where(c => registered.TryGetValue((c.StorageKey, c.Code), out var url) && url == c.Url).ToList();
    }

    /// <summary>Registers every stored SearchParameter and installs the merged set.</summary>
    public async Task ActivateAsync(CancellationToken cancellationToken)
    {
        var custom = SearchParameterRegistry.CustomDefinitions(await LoadSearchParametersAsync(store, cancellationToken));
        var ids = await store.RegisterSearchParametersAsync(custom, cancellationToken);
        var merged = SearchParameterRegistry.Merge(standard, custom.Select(c => c with { Id = ids[(c.StorageKey, c.Code)] }).ToList());
        registry.Replace(merged);
    }

    public async Task RunAsync(JobRecord job, IJobStore jobs, CancellationToken cancellationToken)
    {
        var request = JsonSerializer.Deserialize<ReindexRequest>(job.Request) ?? new ReindexRequest([]);
        await ActivateAsync(cancellationToken);
        var counts = await store.CountByTypeAsync(cancellationToken);
        long total = request.Types.Count == 0 ? counts.Values.Sum() : request.Types.Sum(t => counts.GetValueOrDefault(t));
        var cursor = job.Cursor;
        var processed = job.Processed;
        while (true)
        {
            var batch = await store.ScanAsync(cursor, request.Types, BatchSize, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            var replacements = new List<IndexReplacement>(batch.Count);
            foreach (var (_, resource) in batch)
            {
                var poco = FhirSerialization.ParseStored(resource.Json!);
                var indexes = indexer.Extract(poco);
                if (TextExtractor.Extract(resource.Json!) is { } text)
                {
                    indexes.Add(text);
                }

                replacements.Add(new IndexReplacement(resource.Type, resource.Id, resource.Version, indexes));
            }

            await store.ReplaceIndexesAsync(replacements, cancellationToken);
            cursor = batch[^1].Sid;
            processed += batch.Count;
            await jobs.UpdateProgressAsync(job.Id, cursor, processed, Math.Max(total, processed), cancellationToken);
        }

        await jobs.FinishAsync(job.Id, JobRecord.Completed, null, cancellationToken);
    }

    private static async Task<List<SearchParameter>> LoadSearchParametersAsync(IResourceStore store, CancellationToken cancellationToken)
    {
        var result = new List<SearchParameter>();
        long cursor = 0;
        while (true)
        {
            var batch = await store.ScanAsync(cursor, ["SearchParameter"], BatchSize, cancellationToken);
            if (batch.Count == 0)
            {
                return result;
            }

            result.AddRange(batch.Select(b => (SearchParameter)FhirSerialization.ParseStored(b.Resource.Json!)));
            cursor = batch[^1].Sid;
        }
    }

    private sealed record ReindexRequest(IReadOnlyList<string> Types);
}
