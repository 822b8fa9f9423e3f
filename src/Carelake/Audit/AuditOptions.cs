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
    /// true (default): the audit record of a read, search or failed request is fsynced before the response is sent.
    /// false: it is committed before the response (visible, surviving a process crash) and reaches the disk with the
    /// next data commit or WAL flush (about a second at most); a power loss can lose the last such records. The
    /// records of writes are always fsynced with the write.
    /// </summary>
    public bool FsyncReadRecords { get; set; } = true;

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
