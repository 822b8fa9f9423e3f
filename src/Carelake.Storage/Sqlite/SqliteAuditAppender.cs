using Carelake.Core.Audit;
using Carelake.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// Appends audit records to the chain inside the writer's transaction. The head is read again at the start of every
/// transaction (a rolled-back batch must not leave its positions in memory); one writer per file makes it the only
/// appender, so positions are gap-free.
/// </summary>
internal sealed class SqliteAuditAppender : IDisposable
{
    private readonly SqliteCommand _head;
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _insertKey;
    private long? _seq;
    private byte[] _hash = AuditChain.Genesis;

    public SqliteAuditAppender(SqliteConnection connection)
    {
        _head = connection.CreateCommand();
        _head.CommandText = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1";
        _insertEvent = connection.CreateCommand();
        _insertEvent.CommandText = "INSERT INTO audit_event (seq, id, recorded, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)";
        for (var i = 1; i <= 6; i++)
        {
            _insertEvent.Parameters.Add(new SqliteParameter("$" + i, null));
        }

        _insertKey = connection.CreateCommand();
        _insertKey.CommandText = "INSERT INTO audit_key (seq, kind, value) VALUES ($1, $2, $3)";
        for (var i = 1; i <= 3; i++)
        {
            _insertKey.Parameters.Add(new SqliteParameter("$" + i, null));
        }
    }

    public void Begin(SqliteTransaction transaction)
    {
        _head.Transaction = transaction;
        _insertEvent.Transaction = transaction;
        _insertKey.Transaction = transaction;
        _seq = null;
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
        foreach (var (kind, value) in keys.Keys)
        {
            _insertKey.Parameters[0].Value = seq;
            _insertKey.Parameters[1].Value = kind;
            _insertKey.Parameters[2].Value = value;
            _insertKey.ExecuteNonQuery();
        }

        _seq = seq;
        _hash = hash;
    }

    public void Dispose()
    {
        _head.Dispose();
        _insertEvent.Dispose();
        _insertKey.Dispose();
    }
}
