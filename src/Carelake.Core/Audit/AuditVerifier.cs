using System.Security.Cryptography;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Audit;

/// <param name="FirstBadSeq">The first position at which the trail is not what was written; null when intact.</param>
public sealed record AuditVerification(bool Intact, long Records, long? FirstSeq, long? LastSeq, int Checkpoints, long? FirstBadSeq, string Message);

/// <summary>
/// Checks the whole trail: every link (position, predecessor hash, own hash over id and payload), the stored
/// search keys against the payload, every checkpoint's signature and hash, and that nothing after the newest
/// checkpoint (in the database or in the head file kept beside the key) was cut off.
/// </summary>
public static class AuditVerifier
{
    public static async Task<AuditVerification> VerifyAsync(IAuditLog log, ECDsa? publicKey, AuditCheckpoint? headFile, CancellationToken cancellationToken)
    {
        var checkpoints = (await log.CheckpointsAsync(cancellationToken)).ToList();
        if (headFile is not null && !checkpoints.Any(c => c.Seq == headFile.Seq))
        {
            checkpoints.Add(headFile);
        }

        foreach (var checkpoint in checkpoints)
        {
            if (publicKey is null)
            {
                return Bad(0, null, null, checkpoints.Count, checkpoint.Seq, "There are signed checkpoints but no audit signing key to check them (Carelake:Audit:KeyFile).");
            }

            if (!publicKey.VerifyData(AuditChain.CheckpointMessage(checkpoint.Seq, checkpoint.Hash, checkpoint.Created), checkpoint.Signature, HashAlgorithmName.SHA256))
            {
                return Bad(0, null, null, checkpoints.Count, checkpoint.Seq, $"The checkpoint at position {checkpoint.Seq} does not carry a valid signature (forged or altered).");
            }
        }

        var byPosition = checkpoints.GroupBy(c => c.Seq).ToDictionary(g => g.Key, g => g.First());
        long records = 0;
        long? first = null;
        long last = 0;
        var previous = AuditChain.Genesis;
        await foreach (var row in log.ReadChainAsync(0, cancellationToken))
        {
            records++;
            if (first is null)
            {
                first = row.Seq;
                if (row.Seq != 1)
                {
                    // Pruned by retention: the first record must follow a signed checkpoint exactly.
                    if (!byPosition.TryGetValue(row.Seq - 1, out var anchor) || !anchor.Hash.AsSpan().SequenceEqual(row.PrevHash))
                    {
                        return Bad(records, first, last, checkpoints.Count, 1, $"The trail starts at position {row.Seq}: records before it are missing and no signed checkpoint covers their removal.");
                    }
                }

                previous = row.Seq == 1 ? AuditChain.Genesis : row.PrevHash;
                last = row.Seq - 1;
            }

            if (row.Seq != last + 1)
            {
                return Bad(records, first, last, checkpoints.Count, last + 1, $"The record at position {last + 1} is missing (deleted) or the records were renumbered.");
            }

            if (!row.PrevHash.AsSpan().SequenceEqual(previous))
            {
                return Bad(records, first, last, checkpoints.Count, row.Seq, $"The record at position {row.Seq} does not follow its predecessor (a record was inserted, deleted or moved).");
            }

            var hash = AuditChain.Hash(previous, row.Seq, row.Id, row.Payload);
            if (!hash.AsSpan().SequenceEqual(row.Hash) || row.Payload is null)
            {
                return Bad(records, first, last, checkpoints.Count, row.Seq, $"The record at position {row.Seq} was altered (its content no longer matches its hash).");
            }

            if (byPosition.TryGetValue(row.Seq, out var checkpoint) && !checkpoint.Hash.AsSpan().SequenceEqual(hash))
            {
                return Bad(records, first, last, checkpoints.Count, row.Seq, $"The chain up to position {row.Seq} differs from the signed checkpoint of {checkpoint.Created:u} (rewritten).");
            }

            if (!KeysMatch(row))
            {
                return Bad(records, first, last, checkpoints.Count, row.Seq, $"The search keys of the record at position {row.Seq} were altered (it would be hidden from or added to queries).");
            }

            previous = hash;
            last = row.Seq;
        }

        var newest = checkpoints.Count == 0 ? 0 : checkpoints.Max(c => c.Seq);
        if (newest > last)
        {
            return Bad(records, first, last, checkpoints.Count, last + 1, $"Records after position {last} were deleted: a signed checkpoint names position {newest}.");
        }

        if (await log.FirstOrphanKeyAsync(cancellationToken) is { } orphan)
        {
            return Bad(records, first, last, checkpoints.Count, orphan, $"Search keys name position {orphan}, which holds no record (inserted keys).");
        }

        return new AuditVerification(true, records, first, records == 0 ? null : last, checkpoints.Count, null,
            records == 0 ? "The audit trail is empty." : $"The audit trail is intact: {records} records, positions {first}–{last}, {checkpoints.Count} signed checkpoint(s).");
    }

    private static bool KeysMatch(AuditChainRow row)
    {
        try
        {
            var audit = AuditPayload.ToAuditEvent(row.Id, row.Payload!);
            if (audit.Id != row.Id)
            {
                return false;
            }

            var expected = AuditKeys.From(audit).Keys;
            return expected.Count == row.Keys.Count && expected.Order().SequenceEqual(row.Keys.Order());
        }
        catch (Exception e) when (e is FhirException or InvalidCastException or FormatException)
        {
            return false;
        }
    }

    private static AuditVerification Bad(long records, long? first, long? last, int checkpoints, long position, string message) =>
        new(false, records, first, last, checkpoints, position, message);
}
