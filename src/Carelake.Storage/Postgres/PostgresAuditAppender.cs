using Carelake.Core.Audit;
using Carelake.Core.Storage;
using Npgsql;

namespace Carelake.Storage.Postgres;

/// <summary>
/// Appends the audit records of a unit to the chain in the unit's own transaction. Many nodes write at once, so the
/// chain head is taken under a transaction-level advisory lock held until COMMIT: audited commits serialise on this
/// short tail (the head read and a few inserts), which keeps positions gap-free and every link exact.
/// </summary>
internal static class PostgresAuditAppender
{
    private const long LockKey = 0x5ca1_ab1e_a0d1;

    /// <summary>The writes that go to the resource tables: the auditing store appends its records last.</summary>
    public static IReadOnlyList<ResourceWrite> DataWrites(IReadOnlyList<ResourceWrite> writes) =>
        writes.Any(w => w.Type == AuditChain.ResourceType) ? writes.Where(w => w.Type != AuditChain.ResourceType).ToList() : writes;

    public static async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken)
    {
        var records = writes.Where(w => w.Type == AuditChain.ResourceType).ToList();
        if (records.Count == 0)
        {
            return;
        }

        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        long seq = 0;
        var previous = AuditChain.Genesis;
        await using (var head = new NpgsqlCommand("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1", connection, transaction))
        await using (var reader = await head.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                seq = reader.GetInt64(0);
                previous = (byte[])reader.GetValue(1);
            }
        }

        var postings = new AuditPostingBuilder();
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch)
        {
            foreach (var record in records)
            {
                var json = record.Json ?? throw new InvalidOperationException("An audit record has a payload.");
                var keys = record.Indexes.OfType<AuditKeys>().Single();
                seq++;
                var hash = AuditChain.Hash(previous, seq, record.Id, json);
                var insert = new NpgsqlBatchCommand("INSERT INTO audit_event (seq, id, recorded, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)");
                insert.Parameters.Add(new NpgsqlParameter { Value = seq });
                insert.Parameters.Add(new NpgsqlParameter { Value = record.Id });
                insert.Parameters.Add(new NpgsqlParameter { Value = keys.Recorded });
                insert.Parameters.Add(new NpgsqlParameter { Value = json });
                insert.Parameters.Add(new NpgsqlParameter { Value = previous });
                insert.Parameters.Add(new NpgsqlParameter { Value = hash });
                batch.BatchCommands.Add(insert);
                postings.Add(seq, keys);
                previous = hash;
            }

            var built = postings.Build();
            var postingInsert = new NpgsqlBatchCommand(
                "INSERT INTO audit_posting (kind, value, first_seq, last_seq, more) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bytea[])");
            postingInsert.Parameters.Add(new NpgsqlParameter { Value = built.Select(p => p.Kind).ToArray() });
            postingInsert.Parameters.Add(new NpgsqlParameter { Value = built.Select(p => p.Value).ToArray() });
            postingInsert.Parameters.Add(new NpgsqlParameter { Value = built.Select(p => p.First).ToArray() });
            postingInsert.Parameters.Add(new NpgsqlParameter { Value = built.Select(p => p.Last).ToArray() });
            postingInsert.Parameters.Add(new NpgsqlParameter { Value = built.Select(p => p.More).ToArray() });
            batch.BatchCommands.Add(postingInsert);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
