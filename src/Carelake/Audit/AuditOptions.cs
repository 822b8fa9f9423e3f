namespace Carelake.Audit;

/// <summary>Carelake:Audit — the audit trail cannot be switched off; these settings shape how it is kept.</summary>
public sealed class AuditOptions
{
    /// <summary>The checkpoint signing key (PEM, created at first start). Default: &lt;data-dir&gt;/audit-signing-key.pem; keep it apart from the database backups.</summary>
    public string? KeyFile { get; set; }

    /// <summary>How often the chain head is signed (seconds).</summary>
    public int CheckpointSeconds { get; set; } = 60;

    /// <summary>Records older than this many days are pruned, up to the newest signed checkpoint before that age; 0 keeps everything (default).</summary>
    public int RetentionDays { get; set; }

    /// <summary>
    /// The audit records of reads, searches and failed requests (docs/audit.md, "The guarantee"). false (default): the
    /// record is written before the response is sent, so it survives a crash or kill -9 of the server, and reaches
    /// stable storage within a fraction of a second (SQLite: the journal is fsynced within 100 ms; PostgreSQL:
    /// synchronous_commit off, flushed by the WAL writer). true: the response waits until the record is on stable
    /// storage, so it survives a power loss too, at a measured cost in search throughput (docs/benchmarks.md). The
    /// records of writes are always fsynced with the write.
    /// </summary>
    public bool FsyncReadRecords { get; set; }

    /// <summary>
    /// Measurement only (docs/benchmarks.md, audited vs not): refused at start unless --dev is on, so audit cannot be
    /// turned off for real data.
    /// </summary>
    public bool DisabledForBenchmark { get; set; }

    public string KeyFilePath(string dataDir) => KeyFile ?? Path.Combine(dataDir, "audit-signing-key.pem");

    public IEnumerable<string> Problems(bool dev)
    {
        if (DisabledForBenchmark && !dev)
        {
            yield return "Carelake:Audit:DisabledForBenchmark is accepted only with --dev: the audit trail cannot be turned off for real data.";
        }

        if (CheckpointSeconds is < 1 or > 86_400)
        {
            yield return "Carelake:Audit:CheckpointSeconds must be between 1 and 86400.";
        }

        if (RetentionDays < 0)
        {
            yield return "Carelake:Audit:RetentionDays must be 0 (keep everything) or a number of days.";
        }
    }
}
