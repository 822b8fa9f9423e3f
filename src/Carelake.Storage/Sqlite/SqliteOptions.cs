namespace Carelake.Storage.Sqlite;

public sealed record SqliteOptions
{
    /// <summary>Path of the database file.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// FULL (default): a commit is on disk before it is acknowledged, surviving process crashes and power loss.
    /// NORMAL: survives process crashes (kill -9) but a power loss may drop the last commits.
    /// </summary>
    public string Synchronous { get; init; } = "FULL";

    /// <summary>
    /// Audit records that carry no data write (reads, searches, failures) go to the read-record journal. false
    /// (default): written there before the response (surviving a crash of the process), fsynced within 100 ms.
    /// true: fsynced before the response (surviving a power loss too), one fsync per group of concurrent requests.
    /// </summary>
    public bool FsyncAuditRecords { get; init; }

    /// <summary>Most write units merged into one commit (group commit); one fsync then serves all of them.</summary>
    public int MaxUnitsPerCommit { get; init; } = 512;
}
