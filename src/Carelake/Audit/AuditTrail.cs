using Carelake.Core.Audit;
using Carelake.Core.Storage;
using Carelake.Hosting;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Audit;

/// <summary>
/// Records audit events that are not part of a write unit (reads, searches, failures, security events), signs
/// checkpoints and applies the retention policy. On SQLite a record goes to the read-record journal (the provider's
/// <see cref="IAuditOutbox"/>), on PostgreSQL it is committed through the storage writer; the caller waits until it
/// is stored as Carelake:Audit:FsyncReadRecords says (docs/audit.md, "The guarantee").
/// </summary>
public sealed partial class AuditTrail(CarelakeServices services, CarelakeOptions options, TimeProvider time, ILogger<AuditTrail> logger) : IDisposable
{
    private readonly Lazy<AuditSigner> _signer = new(() => AuditSigner.Open(options.Audit.KeyFilePath(options.DataDir), create: true)!);
    private readonly SemaphoreSlim _checkpointing = new(1, 1);

    public bool Enabled => services.AuditStore.Enabled;

    public AuditSigner Signer => _signer.Value;

    public Task RecordAsync(AuditEvent audit, CancellationToken cancellationToken) => RecordAsync(AuditRecords.ToWrite(audit), cancellationToken);

    /// <summary>Stores a record that carries no data write (<see cref="AuditAccess.ToWrite"/>, <see cref="AuditRecords.ToWrite(AuditEvent)"/>).</summary>
    public async Task RecordAsync(ResourceWrite record, CancellationToken cancellationToken)
    {
        if (services.AuditStore.Inner is IAuditOutbox outbox)
        {
            await outbox.AppendAuditAsync(record, cancellationToken);
            return;
        }

        var result = await services.AuditStore.Inner.CommitAsync([record], cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("The audit record was not stored.");
        }
    }

    /// <summary>Signs the chain head when it moved since the newest checkpoint; returns the checkpoint, or null when there was nothing new.</summary>
    public async Task<AuditCheckpoint?> CheckpointAsync(CancellationToken cancellationToken)
    {
        await _checkpointing.WaitAsync(cancellationToken);
        try
        {
            if (await services.AuditLog.HeadAsync(cancellationToken) is not { } head)
            {
                return null;
            }

            var checkpoints = await services.AuditLog.CheckpointsAsync(cancellationToken);
            if (checkpoints.Count > 0 && checkpoints[^1].Seq >= head.Seq)
            {
                return null;
            }

            var checkpoint = Signer.Sign(head.Seq, head.Hash, time.GetUtcNow());
            await services.AuditLog.AddCheckpointAsync(checkpoint, cancellationToken);
            Signer.WriteHead(checkpoint);
            LogCheckpoint(logger, head.Seq);
            return checkpoint;
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    /// <summary>
    /// Retention: removes the records older than Carelake:Audit:RetentionDays, but only through the newest signed
    /// checkpoint among them, so the trail that remains starts right after a signed head and still verifies.
    /// </summary>
    public async Task<long> ApplyRetentionAsync(int days, CancellationToken cancellationToken)
    {
        if (days <= 0)
        {
            return 0;
        }

        var cutoff = time.GetUtcNow().AddDays(-days).UtcTicks;
        var older = await services.AuditLog.SearchAsync(new AuditQuery([], null, cutoff, 1, OldestFirst: false, After: null), cancellationToken);
        if (older.Count == 0)
        {
            return 0;
        }

        var anchor = (await services.AuditLog.CheckpointsAsync(cancellationToken)).Where(c => c.Seq <= older[0].Seq).Select(c => (long?)c.Seq).LastOrDefault();
        if (anchor is null)
        {
            return 0;
        }

        var removed = await services.AuditLog.PruneAsync(anchor.Value, cancellationToken);
        LogPruned(logger, removed, anchor.Value);
        return removed;
    }

    public void Dispose()
    {
        _checkpointing.Dispose();
        if (_signer.IsValueCreated)
        {
            _signer.Value.Dispose();
        }
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Debug, Message = "Audit checkpoint signed at position {Seq}")]
    private static partial void LogCheckpoint(ILogger logger, long seq);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Audit retention removed {Count} records through position {Seq}")]
    private static partial void LogPruned(ILogger logger, long count, long seq);
}
