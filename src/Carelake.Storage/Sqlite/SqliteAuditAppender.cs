using Carelake.Core.Audit;
using Carelake.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// Appends audit records to the chain inside the writer's transaction. The head is read again at the start of every
/// transaction (a rolled-back batch must not leave its positions in memory); one writer per file makes it the only
/// appender, so positions are gap-free. The records' keys are gathered into postings written once, just before
/// the transaction commits (<see cref="Flush"/>).
/// </summary>
internal sealed class SqliteAuditAppender : IDisposable
{
    private readonly SqliteCommand _head;
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _insertPosting;
    private readonly AuditPostingBuilder _postings = new();
    private long? _seq;
    private byte[] _hash = AuditChain.Genesis;

    public SqliteAuditAppender(SqliteConnection connection)
    {
        _head = connection.CreateCommand();
        _head.CommandText = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1";
        _insertEvent = Insert(connection, "INSERT INTO audit_event (seq, id, recorded, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)", 6);
        _insertPosting = Insert(connection, "INSERT INTO audit_posting (kind, value, first_seq, last_seq, more) VALUES ($1, $2, $3, $4, $5)", 5);
    }

    public void Begin(SqliteTransaction transaction)
    {
        _head.Transaction = transaction;
        _insertEvent.Transaction = transaction;
        _insertPosting.Transaction = transaction;
        _seq = null;
        _postings.Clear();
    }

    public void Append(ResourceWrite write)
    {
        var json = write.Json ?? throw new InvalidOperationException("An audit record has a payload.");
        var keys = write.Indexes.OfType<AuditKeys>().Single();
        if (_seq is null)
        {
            using var reader = _head.ExecuteReader();
            (_seq, _hash) = reader.Read() ? (reader.GetInt64(0), (byte[])reader.GetValue(1)) : (0L, AuditChain.Genesis);
        }

        var seq = _seq.Value + 1;
        var hash = AuditChain.Hash(_hash, seq, write.Id, json);
        var p = _insertEvent.Parameters;
        p[0].Value = seq;
        p[1].Value = write.Id;
        p[2].Value = keys.Recorded;
        p[3].Value = json;
        p[4].Value = _hash;
        p[5].Value = hash;
        _insertEvent.ExecuteNonQuery();
        _postings.Add(seq, keys);
        _seq = seq;
        _hash = hash;
    }

    /// <summary>Writes the keys of the records appended in this transaction (call right before COMMIT).</summary>
    public void Flush()
    {
        if (_postings.Count == 0)
        {
            return;
        }

        var p = _insertPosting.Parameters;
        foreach (var posting in _postings.Build())
        {
            p[0].Value = posting.Kind;
            p[1].Value = posting.Value;
            p[2].Value = posting.First;
            p[3].Value = posting.Last;
            p[4].Value = (object?)posting.More ?? DBNull.Value;
            _insertPosting.ExecuteNonQuery();
        }

        _postings.Clear();
    }

    public void Dispose()
    {
        _head.Dispose();
        _insertEvent.Dispose();
        _insertPosting.Dispose();
    }

    private static SqliteCommand Insert(SqliteConnection connection, string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 1; i <= parameters; i++)
        {
            command.Parameters.Add(new SqliteParameter("$" + i, null));
        }

        return command;
    }
}
