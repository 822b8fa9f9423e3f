namespace Carelake.Core.Storage;

/// <summary>
/// A database-backed queue of long-running jobs ($reindex now; bulk export/import later). Jobs survive restarts:
/// a job found running at start-up was interrupted and resumes from its last recorded cursor.
/// </summary>
public interface IJobStore
{
    Task<JobRecord> EnqueueAsync(string kind, string request, CancellationToken cancellationToken);

    Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The oldest queued or interrupted job, now marked running; null when there is none.</summary>
    Task<JobRecord?> ClaimNextAsync(CancellationToken cancellationToken);

    Task UpdateProgressAsync(string id, long cursor, long processed, long? total, CancellationToken cancellationToken);

    Task FinishAsync(string id, string status, string? failure, CancellationToken cancellationToken);

    Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken cancellationToken);
}

public sealed record JobRecord(
    string Id,
    string Kind,
    string Status,
    string Request,
    long Cursor,
    long Processed,
    long? Total,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    string? Error)
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}
