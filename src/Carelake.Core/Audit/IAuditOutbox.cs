using Carelake.Core.Storage;

namespace Carelake.Core.Audit;

/// <summary>
/// A provider's durable outbox for audit records that carry no data write (docs/audit.md, "The guarantee"): a
/// record is made durable there before the response (SQLite: the read-record journal), and the provider chains the
/// records in the order they became durable. Providers without one (PostgreSQL) commit such records straight into
/// the chain.
/// </summary>
public interface IAuditOutbox
{
    /// <summary>Completes once the record is in the outbox (fsynced unless read-record fsync is off).</summary>
    Task AppendAuditAsync(ResourceWrite record, CancellationToken cancellationToken);

    /// <summary>Chains every record the outbox holds so far (before the trail is read or signed).</summary>
    Task FlushAuditOutboxAsync(CancellationToken cancellationToken);
}
