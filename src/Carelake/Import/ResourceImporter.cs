using System.Text;
using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Import;

/// <summary>
/// Imports FHIR JSON from files and folders: single resources, Bundles (transaction and batch through the bundle
/// processor; collection, searchset and others entry by entry) and NDJSON. Resources with an id are upserted
/// (update-as-create), so re-running an import is idempotent; resources without one are created.
/// </summary>
public sealed class ResourceImporter(CarelakeServices services, int batchSize = 500)
{
    public static IReadOnlyList<string> FindFiles(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(IsImportable)
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new FileNotFoundException($"No file or folder at '{path}'.", path);
            }
        }

        return files;
    }

    private static bool IsImportable(string file) =>
        file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    public async Task ImportFileAsync(string file, ImportSummary summary, Action<long> onBytes, CancellationToken cancellationToken)
    {
        if (file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            await ImportNdjsonAsync(file, summary, onBytes, cancellationToken);
            return;
        }

        var bytes = await File.ReadAllBytesAsync(file, cancellationToken);
        try
        {
            var resource = FhirSerialization.ParseJson(bytes);
            await ImportResourceAsync(resource, file, summary, cancellationToken);
        }
        catch (FhirException e)
        {
            summary.AddFailure(TypeHint(bytes), file, Describe(e));
        }

        onBytes(bytes.Length);
    }

    /// <summary>Imports resources produced in memory (the demo data set) in batches.</summary>
    public async Task ImportResourcesAsync(IEnumerable<Resource> resources, ImportSummary summary, Action<int>? onResources, CancellationToken cancellationToken)
    {
        var batch = new List<(Resource, string)>(batchSize);
        var number = 0;
        foreach (var resource in resources)
        {
            batch.Add((resource, $"generated resource {++number}"));
            if (batch.Count == batchSize)
            {
                await UpsertBatchAsync(batch, summary, cancellationToken);
                onResources?.Invoke(batch.Count);
                batch.Clear();
            }
        }

        await UpsertBatchAsync(batch, summary, cancellationToken);
        onResources?.Invoke(batch.Count);
    }

    private async Task ImportResourceAsync(Resource resource, string where, ImportSummary summary, CancellationToken cancellationToken)
    {
        if (resource is Bundle { Type: Bundle.BundleType.Transaction or Bundle.BundleType.Batch } bundle)
        {
            var response = await services.Bundles.ProcessAsync(bundle, "urn:carelake:import", cancellationToken);
            for (var i = 0; i < response.Entry.Count; i++)
            {
                var status = response.Entry[i].Response?.Status ?? string.Empty;
                var type = bundle.Entry[i].Resource?.TypeName ?? bundle.Entry[i].Request?.Url?.Split('/', '?')[0] ?? "Bundle";
                if (status.StartsWith("201", StringComparison.Ordinal))
                {
                    summary.AddCreated(type);
                }
                else if (status.StartsWith('2'))
                {
                    summary.AddUpdated(type);
                }
                else
                {
                    summary.AddFailure(type, $"{where} entry {i}", $"{status} {(response.Entry[i].Response?.Outcome as OperationOutcome)?.Issue.FirstOrDefault()?.Diagnostics}");
                }
            }

            return;
        }

        if (resource is Bundle other && other.Entry.Count > 0)
        {
            var entries = other.Entry
                .Select((e, i) => (Resource: e.Resource, Where: $"{where} entry {i}"))
                .Where(e => e.Resource is not null)
                .Select(e => (e.Resource!, e.Where))
                .ToList();
            await UpsertBatchAsync(entries, summary, cancellationToken);
            return;
        }

        await UpsertBatchAsync([(resource, where)], summary, cancellationToken);
    }

    /// <summary>
    /// NDJSON in batches, pipelined: while one batch is parsed, indexed and committed, the next is read, so parsing and
    /// index extraction use every core while the single writer commits.
    /// </summary>
    private async Task ImportNdjsonAsync(string file, ImportSummary summary, Action<long> onBytes, CancellationToken cancellationToken)
    {
        var maxInFlight = Math.Max(2, Environment.ProcessorCount);
        var inFlight = new Queue<Task>();
        var lines = new List<(byte[] Json, int Line)>(batchSize);
        long pendingBytes = 0;
        var lineNumber = 0;
        using var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            pendingBytes += line.Length + 1;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            lines.Add((Encoding.UTF8.GetBytes(line), lineNumber));
            if (lines.Count == batchSize)
            {
                if (inFlight.Count >= maxInFlight)
                {
                    await inFlight.Dequeue();
                }

                inFlight.Enqueue(ImportLinesAsync(file, lines, pendingBytes, summary, onBytes, cancellationToken));
                lines = new List<(byte[] Json, int Line)>(batchSize);
                pendingBytes = 0;
            }
        }

        inFlight.Enqueue(ImportLinesAsync(file, lines, pendingBytes, summary, onBytes, cancellationToken));
        await Task.WhenAll(inFlight);
    }

    private async Task ImportLinesAsync(string file, List<(byte[] Json, int Line)> lines, long bytes, ImportSummary summary, Action<long> onBytes, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var batch = new List<(Resource, string)>(lines.Count);
        foreach (var (json, line) in lines)
        {
            try
            {
                batch.Add((FhirSerialization.ParseJson(json), $"{file}:{line}"));
            }
            catch (FhirException e)
            {
                summary.AddFailure(TypeHint(json), $"{file}:{line}", Describe(e));
            }
        }

        await UpsertBatchAsync(batch, summary, cancellationToken);
        onBytes(bytes);
    }

    /// <summary>
    /// Writes a batch as one storage unit (one commit for hundreds of resources). If another writer moved one of the
    /// resources in between, the batch falls back to one optimistic update per resource.
    /// </summary>
    private async Task UpsertBatchAsync(IReadOnlyList<(Resource Resource, string Where)> batch, ImportSummary summary, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var writes = new List<ResourceWrite>(batch.Count);
        var created = new List<bool>(batch.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fallback = new List<(Resource, string)>();
        var written = new List<(Resource, string)>(batch.Count);
        foreach (var (resource, where) in batch)
        {
            if (resource.Id is not null && !ResourceIds.IsValid(resource.Id))
            {
                summary.AddFailure(resource.TypeName, where, $"'{resource.Id}' is not a valid FHIR id.");
                continue;
            }

            resource.Id ??= ResourceIds.NewId();
            if (!seen.Add($"{resource.TypeName}/{resource.Id}"))
            {
                // The same resource twice in one batch: the later copy is written after, as its own update.
                fallback.Add((resource, where));
                continue;
            }

            var current = await services.Store.ReadAsync(resource.TypeName, resource.Id, cancellationToken);
            var currentVersion = current?.Version ?? 0;
            writes.Add(services.Resources.PrepareWrite(resource, currentVersion + 1, currentVersion, current is null ? "POST" : "PUT"));
            created.Add(current is null || current.Deleted);
            written.Add((resource, where));
        }

        var result = await services.Store.CommitAsync(writes, cancellationToken);
        if (result.Succeeded)
        {
            for (var i = 0; i < writes.Count; i++)
            {
                if (created[i])
                {
                    summary.AddCreated(writes[i].Type);
                }
                else
                {
                    summary.AddUpdated(writes[i].Type);
                }
            }
        }
        else
        {
            fallback.InsertRange(0, written);
        }

        foreach (var (resource, where) in fallback)
        {
            try
            {
                var (_, wasCreated) = await services.Resources.UpdateAsync(resource.TypeName, resource.Id!, resource, null, cancellationToken);
                if (wasCreated)
                {
                    summary.AddCreated(resource.TypeName);
                }
                else
                {
                    summary.AddUpdated(resource.TypeName);
                }
            }
            catch (FhirException e)
            {
                summary.AddFailure(resource.TypeName, where, Describe(e));
            }
        }
    }

    private static string Describe(FhirException e) =>
        string.Join("; ", e.Outcome.Issue.Select(i => i.Diagnostics + (i.Expression.Any() ? $" ({string.Join(", ", i.Expression)})" : string.Empty)));

    /// <summary>Best-effort resource type of unparseable JSON, so failures are still counted per type.</summary>
    private static string? TypeHint(byte[] json)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.ValueTextEquals("resourceType") && reader.Read())
                {
                    return reader.GetString();
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return null;
    }
}
