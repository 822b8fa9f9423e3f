using Carelake.Core.Storage;

namespace Carelake.Core.Audit;

/// <summary>
/// A provider's durable outbox for audit records that carry no data write (docs/audit.md, "The guarantee"): a
/// record is committed there before the response; the provider moves records into the hash chain in order, in
/// batches. Providers without one commit such records straight into the chain.
/// </summary>
public interface IAuditOutbox
{
    /// <summary>Completes once the record is committed to the outbox (fsynced unless read-record fsync is off).</summary>
    Task AppendAuditAsync(ResourceWrite record, CancellationToken cancellationToken);

    /// <summary>Moves every record committed to the outbox so far into the chain (before the trail is read or signed).</summary>
    Task FlushAuditOutboxAsync(CancellationToken cancellationToken);
}
