using Carelake.Core.Search;

namespace Carelake.Core.Storage;

/// <summary>
/// The storage provider contract. Writes are optimistic: each <see cref="ResourceWrite"/> names the version it replaces
/// and the provider refuses the whole unit if any resource moved on in between, so concurrent writers on any number of
/// nodes never lose an update. Everything passed to one <see cref="CommitAsync"/> commits atomically and durably
/// before the task completes.
/// </summary>
public interface IResourceStore : IAsyncDisposable
{
    string ProviderName { get; }

    /// <summary>Applies migrations and returns the storage ids of the given search parameters (assigning new ones).</summary>
    Task<IReadOnlyDictionary<(string Type, string Code), int>> InitializeAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken);

    /// <summary>The current version of a resource, including a deletion tombstone; null when it never existed.</summary>
    Task<ResourceVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken);

    Task<ResourceVersion?> ReadVersionAsync(string type, string id, long version, CancellationToken cancellationToken);

    Task<CommitResult> CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken);

    Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken);

    Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<string, long>> CountByTypeAsync(CancellationToken cancellationToken);

    Task<bool> IsReadyAsync(CancellationToken cancellationToken);

    /// <summary>Storage ids for search parameters (new ones are assigned), recording each one's canonical URL.</summary>
    Task<IReadOnlyDictionary<(string Type, string Code), int>> RegisterSearchParametersAsync(IReadOnlyList<SearchParameterInfo> parameters, CancellationToken cancellationToken);

    /// <summary>The canonical URL registered for each (type, code): custom parameters are active once registered.</summary>
    Task<IReadOnlyDictionary<(string Type, string Code), string>> RegisteredSearchParameterUrlsAsync(CancellationToken cancellationToken);

    /// <summary>Current, non-deleted resources after a surrogate id, in sid order (for reindexing and bulk work).</summary>
    Task<IReadOnlyList<(long Sid, ResourceVersion Resource)>> ScanAsync(long afterSid, IReadOnlyList<string> types, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the index rows of resources without creating versions. An item is skipped when its resource has moved
    /// past <see cref="IndexReplacement.Version"/>: that newer write was already indexed with the current parameters.
    /// </summary>
    Task ReplaceIndexesAsync(IReadOnlyList<IndexReplacement> items, CancellationToken cancellationToken);

    /// <summary>
    /// The distinct values of token or uri parameters over current resources (of one type, or all): what type- and
    /// system-level $meta report for _tag, _security and _profile. At most <paramref name="limit"/> per parameter.
    /// </summary>
    Task<IReadOnlyList<(int ParamId, string? System, string Value)>> DistinctValuesAsync(IReadOnlyList<SearchParameterInfo> parameters, string? type, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Erasure (right to be forgotten): removes a resource with every version and index row, and overwrites the
    /// freed storage, so nothing of it can be read back. Returns how many versions were removed (0: unknown).
    /// </summary>
    Task<long> EraseAsync(string type, string id, CancellationToken cancellationToken);
}

public sealed record IndexReplacement(string Type, string Id, long Version, IReadOnlyList<IndexValue> Indexes);

/// <summary>One stored version. <see cref="Json"/> is the UTF-8 resource exactly as returned to clients; null for a deletion.</summary>
public sealed record ResourceVersion(string Type, string Id, long Version, DateTimeOffset LastUpdated, bool Deleted, string Method, byte[]? Json)
{
    /// <summary>For a contained resource returned by <c>_containedType=contained</c>: its container's "Type/id"; <see cref="Id"/> is then the local id.</summary>
    public string? Container { get; init; }

    /// <summary>Where the resource lives relative to the base: "Type/id", or "Container/id#local" for a contained one.</summary>
    public string Path => Container is null ? $"{Type}/{Id}" : $"{Container}#{Id}";
}

/// <summary>
/// A new version to store. <see cref="ExpectedCurrentVersion"/> is the version it replaces (0: the resource must not
/// exist yet). A null <see cref="Json"/> records a deletion.
/// </summary>
public sealed record ResourceWrite(
    string Type,
    string Id,
    long Version,
    long ExpectedCurrentVersion,
    DateTimeOffset LastUpdated,
    string Method,
    byte[]? Json,
    IReadOnlyList<IndexValue> Indexes)
{
    /// <summary>
    /// Conditional create: the write applies only if nothing matches this search at commit time. The store checks it
    /// inside the committing transaction, so concurrent conditional creates of the same thing store exactly one.
    /// </summary>
    public SearchQuery? IfNoneExist { get; init; }
}

/// <param name="ConflictIndex">Index of the first write whose expected version did not hold; -1 on success.</param>
/// <param name="ActualVersion">The version actually current for that write (0: none).</param>
public sealed record CommitResult(int ConflictIndex, long ActualVersion)
{
    public static readonly CommitResult Success = new(-1, 0);

    /// <summary>The conflict is a conditional create's <see cref="ResourceWrite.IfNoneExist"/> search that now matches.</summary>
    public bool ConditionMatched { get; init; }

    public bool Succeeded => ConflictIndex < 0;
}

/// <param name="Included">Resources added by _include and _revinclude (search.mode = include).</param>
public sealed record SearchPage(IReadOnlyList<ResourceVersion> Resources, string? NextCursor, long? Total, IReadOnlyList<ResourceVersion> Included)
{
    public string? PreviousCursor { get; init; }
}

public sealed record HistoryQuery(string? Type, string? Id, DateTimeOffset? Since, DateTimeOffset? At, int Count, long? BeforeVersionRow);

public sealed record HistoryPage(IReadOnlyList<ResourceVersion> Versions, long? NextCursor);
