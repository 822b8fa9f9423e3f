using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Carelake.Core.Audit;

/// <summary>
/// The hash chain over audit records: hash(n) = SHA-256(hash(n-1) ‖ n ‖ id ‖ payload). The position and id are in the
/// hash so that swapping or renumbering records breaks the chain even when their payloads are intact.
/// </summary>
public static class AuditChain
{
    public const string ResourceType = "AuditEvent";

    /// <summary>The predecessor of the first record.</summary>
    public static byte[] Genesis { get; } = new byte[32];

    public static byte[] Hash(ReadOnlySpan<byte> previous, long seq, string id, ReadOnlySpan<byte> payload)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(previous);
        Span<byte> position = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(position, seq);
        sha.AppendData(position);
        sha.AppendData(Encoding.UTF8.GetBytes(id));
        sha.AppendData([0]);
        sha.AppendData(payload);
        return sha.GetHashAndReset();
    }

    /// <summary>What a checkpoint signs: the position and hash of the chain head at that time.</summary>
    public static byte[] CheckpointMessage(long seq, ReadOnlySpan<byte> hash, DateTimeOffset created) =>
        Encoding.UTF8.GetBytes($"carelake-audit-checkpoint\n{seq}\n{Convert.ToHexString(hash)}\n{created.UtcTicks}");
}
