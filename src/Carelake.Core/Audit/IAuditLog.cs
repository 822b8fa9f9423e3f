namespace Carelake.Core.Audit;

/// <summary>One link of the chain as stored, with the searchable keys stored beside it.</summary>
public sealed record AuditChainRow(long Seq, string Id, byte[]? Payload, byte[] PrevHash, byte[] Hash, IReadOnlyList<(string Kind, string Value)> Keys);

/// <summary>A signed statement that the chain had this head: records up to <see cref="Seq"/> cannot change unseen.</summary>
public sealed record AuditCheckpoint(long Seq, byte[] Hash, DateTimeOffset Created, string KeyId, byte[] Signature);

/// <param name="Keys">AND of groups; each group is (kind, values ORed).</param>
/// <param name="Before">Paging: records with a smaller position (newest first) or a greater one (oldest first).</param>
public sealed record AuditQuery(IReadOnlyList<(string Kind, IReadOnlyList<string> Values)> Keys, long? RecordedFrom, long? RecordedTo, int Count, bool OldestFirst, long? After)
{
    public long? Before { get; init; }
}

public sealed record AuditHit(long Seq, string Id, DateTimeOffset Recorded, byte[] Payload);

/// <summary>The audit trail as stored by a provider: read, search, checkpoints, retention.</summary>
public interface IAuditLog
{
    /// <summary>The newest record's position and hash; null when the trail is empty.</summary>
    Task<(long Seq, byte[] Hash)?> HeadAsync(CancellationToken cancellationToken);

    /// <summary>The chain in position order from <paramref name="fromSeq"/>, with the keys stored for each record.</summary>
    IAsyncEnumerable<AuditChainRow> ReadChainAsync(long fromSeq, CancellationToken cancellationToken);

    /// <summary>Positions of key rows that name no record (keys inserted to make a record appear in a query).</summary>
    Task<long?> FirstOrphanKeyAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken);

    Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken);

    Task<IReadOnlyList<AuditHit>> SearchAsync(AuditQuery query, CancellationToken cancellationToken);

    Task<AuditHit?> ReadAsync(string id, CancellationToken cancellationToken);

    /// <summary>Removes records up to and including <paramref name="throughSeq"/> (retention); the caller checks a checkpoint covers them.</summary>
    Task<long> PruneAsync(long throughSeq, CancellationToken cancellationToken);
}
