using Carelake.Core.Fhir;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Core.Audit;

/// <summary>
/// Every write unit is committed together with its audit record: the record is one more write of the same unit, so
/// the storage provider commits both in one database transaction (and chains the record there). A unit that fails
/// commits neither; the request's failure is then audited by the HTTP layer. AuditEvents are written by the server
/// only: a client's AuditEvent write (directly or inside a Bundle) is refused.
/// </summary>
public sealed class AuditingResourceStore(IResourceStore inner, TimeProvider time) : IResourceStore
{
    /// <summary>Off only for the audited-vs-not benchmark in --dev mode (the host refuses it otherwise).</summary>
    public bool Enabled { get; set; } = true;

    public IResourceStore Inner => inner;

    public string ProviderName => inner.ProviderName;

    public async Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken)
    {
        var scope = AuditScope.Current;
        if (writes.Any(w => w.Type == AuditChain.ResourceType))
        {
            // The one server path that stores an AuditEvent through the resource services: the erasure record.
            if (scope?.Operation != "expunge" || writes.Any(w => w.Type != AuditChain.ResourceType))
            {
                throw new FhirException(405, OperationOutcome.IssueType.NotSupported, "AuditEvent records are written by the server only.");
            }

            var records = writes.Select(w => w.Indexes.OfType<AuditKeys>().Any() ? w : w with { Indexes = [AuditKeys.From((AuditEvent)FhirSerialization.ParseStored(w.Json))] }).ToList();
            var stored = await inner.CommitAsync(records, cancellationToken);
            if (stored.Succeeded)
            {
                scope.NoteRecorded();
            }

            return stored;
        }

        if (!Enabled || writes.Count == 0)
        {
            return await inner.CommitAsync(writes, cancellationToken);
        }

        var actor = scope?.Actor ?? AuditActor.Cli;
        var subtype = scope?.Subtype ?? (writes.Count == 1 ? SubtypeOf(writes[0]) : "batch");
        var audit = AuditRecords.Writes(actor, subtype, scope?.Operation ?? (scope is null ? "import" : null), writes, time.GetUtcNow());
        var result = await inner.CommitAsync([.. writes, AuditRecords.ToWrite(audit)], cancellationToken);
        if (result.Succeeded)
        {
            scope?.NoteRecorded();
        }

        return result;
    }

    private static string SubtypeOf(ResourceWrite write) => write.Json is null ? "delete" : write.Version == 1 ? "create" : "update";

    public Task<IReadOnlyDictionary<(string Type, string Code), int>> InitializeAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken) =>
        inner.InitializeAsync(parameters, cancellationToken);

    public Task<ResourceVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken) => inner.ReadAsync(type, id, cancellationToken);

    public Task<ResourceVersion?> ReadVersionAsync(string type, string id, long version, CancellationToken cancellationToken) =>
        inner.ReadVersionAsync(type, id, version, cancellationToken);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken) => inner.SearchAsync(query, cancellationToken);

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken) => inner.HistoryAsync(query, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> CountByTypeAsync(CancellationToken cancellationToken) => inner.CountByTypeAsync(cancellationToken);

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => inner.IsReadyAsync(cancellationToken);

    public Task<IReadOnlyDictionary<(string Type, string Code), int>> RegisterSearchParametersAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken) =>
        inner.RegisterSearchParametersAsync(parameters, cancellationToken);

    public Task<IReadOnlyDictionary<(string Type, string Code), string>> RegisteredSearchParameterUrlsAsync(CancellationToken cancellationToken) =>
        inner.RegisteredSearchParameterUrlsAsync(cancellationToken);

    public Task<IReadOnlyList<(long Sid, ResourceVersion Resource)>> ScanAsync(long afterSid, IReadOnlyList<string> types, int limit, CancellationToken cancellationToken) =>
        inner.ScanAsync(afterSid, types, limit, cancellationToken);

    public Task ReplaceIndexesAsync(IReadOnlyList<IndexReplacement> items, CancellationToken cancellationToken) => inner.ReplaceIndexesAsync(items, cancellationToken);

    public Task<IReadOnlyList<(int ParamId, string? System, string Value)>> DistinctValuesAsync(IReadOnlyList<SearchParameterInfo> parameters, string? type, int limit, CancellationToken cancellationToken) =>
        inner.DistinctValuesAsync(parameters, type, limit, cancellationToken);

    public Task<long> EraseAsync(string type, string id, CancellationToken cancellationToken) =>
        type == AuditChain.ResourceType
            ? throw new FhirException(405, OperationOutcome.IssueType.NotSupported, "Audit records cannot be erased; they leave only by the retention policy.")
            : inner.EraseAsync(type, id, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
