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
    /// Commits that carry only audit records (reads, searches, failures) skip the fsync: they are in the WAL before the
    /// response (surviving a process crash) and reach the disk with the next data commit or WAL checkpoint (≤ 1 s).
    /// </summary>
    public bool AuditOnlyWithoutFsync { get; init; }

    /// <summary>Most write units merged into one commit (group commit); one fsync then serves all of them.</summary>
    public int MaxUnitsPerCommit { get; init; } = 512;
}
