using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Carelake.Core.Audit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// The audit trail's reads, search, checkpoints and retention, in SQL both providers accept. Its own connections:
/// the CLI (verify, export) opens a database without starting the resource store.
/// </summary>
public sealed class SqlAuditLog : IAuditLog, IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<DbConnection>> _open;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly bool _postgres;
    private IAuditOutbox? _outbox;

    private SqlAuditLog(Func<CancellationToken, Task<DbConnection>> open, NpgsqlDataSource? dataSource)
    {
        _open = open;
        _dataSource = dataSource;
        _postgres = dataSource is not null;
    }

    /// <param name="outbox">The store's outbox of read records: moved into the chain before the trail is read, so a query sees every committed record.</param>
    public static SqlAuditLog Sqlite(string path, IAuditOutbox? outbox = null)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 }.ToString();
        return new SqlAuditLog(
            async ct =>
            {
                var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync(ct);
                await using var busy = connection.CreateCommand();
                busy.CommandText = "PRAGMA busy_timeout = 30000";
                await busy.ExecuteNonQueryAsync(ct);
                return connection;
            },
            null) { _outbox = outbox };
    }

    private Task FlushAsync(CancellationToken cancellationToken) => _outbox?.FlushAuditOutboxAsync(cancellationToken) ?? Task.CompletedTask;

    public static SqlAuditLog Postgres(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        return new SqlAuditLog(async ct => await dataSource.OpenConnectionAsync(ct), dataSource);
    }

    public async Task<(long Seq, byte[] Hash)?> HeadAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), Bytes(reader, 1)) : null;
    }

    public async IAsyncEnumerable<AuditChainRow> ReadChainAsync(long fromSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        // Two cursors in position order, merged: records, and the postings of their keys by first position. A
        // record's keys come from postings whose first position is at or before it, so they are all loaded when
        // the record is reached; positions a posting names that hold no record are left to FirstOrphanKeyAsync.
        await using var eventConnection = await _open(cancellationToken);
        await using var postingConnection = await _open(cancellationToken);
        await using var events = Command(eventConnection, "SELECT seq, id, payload, prev_hash, hash FROM audit_event WHERE seq >= @from ORDER BY seq", ("from", fromSeq));
        await using var eventReader = await events.ExecuteReaderAsync(cancellationToken);
        await using var postings = new PostingCursor(postingConnection);
        var pending = new Dictionary<long, List<(string, string)>>();
        while (await eventReader.ReadAsync(cancellationToken))
        {
            var seq = eventReader.GetInt64(0);
            await postings.ReadStartingAtOrBeforeAsync(seq, (position, posting) =>
            {
                if (position >= seq)
                {
                    if (!pending.TryGetValue(position, out var keys))
                    {
                        pending[position] = keys = [];
                    }

                    keys.Add((posting.Kind, posting.Value));
                }
            }, cancellationToken);

            pending.Remove(seq, out var rowKeys);
            yield return new AuditChainRow(seq, eventReader.GetString(1), Bytes(eventReader, 2), Bytes(eventReader, 3), Bytes(eventReader, 4), rowKeys ?? []);
        }
    }

    public async Task<long?> FirstOrphanKeyAsync(CancellationToken cancellationToken)
    {
        // Every position a posting names must hold a record, except those retention removed (below the first record).
        await using var eventConnection = await _open(cancellationToken);
        await using var postingConnection = await _open(cancellationToken);
        await using var events = Command(eventConnection, "SELECT seq FROM audit_event ORDER BY seq");
        await using var eventReader = await events.ExecuteReaderAsync(cancellationToken);
        await using var postings = new PostingCursor(postingConnection);
        var named = new PriorityQueue<long, long>();
        long? firstRecord = null;
        while (await eventReader.ReadAsync(cancellationToken))
        {
            var seq = eventReader.GetInt64(0);
            firstRecord ??= seq;
            await postings.ReadStartingAtOrBeforeAsync(seq, (position, _) => named.Enqueue(position, position), cancellationToken);

            while (named.TryPeek(out var position, out _) && position <= seq)
            {
                named.Dequeue();
                if (position < seq && position >= firstRecord)
                {
                    return position;
                }
            }
        }

        await postings.ReadStartingAtOrBeforeAsync(long.MaxValue, (position, _) => named.Enqueue(position, position), cancellationToken);

        while (named.TryDequeue(out var position, out _))
        {
            if (firstRecord is null || position >= firstRecord)
            {
                return position;
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, "SELECT seq, hash, created, key_id, signature FROM audit_checkpoint ORDER BY seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var checkpoints = new List<AuditCheckpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(new AuditCheckpoint(reader.GetInt64(0), Bytes(reader, 1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), reader.GetString(3), Bytes(reader, 4)));
        }

        return checkpoints;
    }

    public async Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken);
        // Several nodes may checkpoint the same head: the first one stands.
        await using var command = Command(
            connection,
            "INSERT INTO audit_checkpoint (seq, hash, created, key_id, signature) VALUES (@seq, @hash, @created, @key, @signature) ON CONFLICT (seq) DO NOTHING",
            ("seq", checkpoint.Seq),
            ("hash", checkpoint.Hash),
            ("created", checkpoint.Created.UtcTicks),
            ("key", checkpoint.KeyId),
            ("signature", checkpoint.Signature));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditHit>> SearchAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await using var connection = await _open(cancellationToken);
        if (query.Keys.Count == 0)
        {
            return await ReadHitsAsync(connection, query, null, query.Count, cancellationToken);
        }

        // Driven by the postings of the asked keys only ("every access to patient X in a year" reads that patient's
        // rows): the positions of each parameter (any of its values), intersected across parameters, then the
        // records themselves in pages, where the date bounds apply.
        var (after, before) = (query.After, query.Before);
        if (query.RecordedFrom is { } from)
        {
            // The first position recorded in the range bounds the postings to read (exact: nothing earlier qualifies).
            var first = await ScalarAsync(connection, "SELECT MIN(seq) FROM audit_event WHERE recorded >= @from", ("from", from), cancellationToken);
            after = first is null ? long.MaxValue - 1 : Math.Max(after ?? long.MinValue, first.Value - 1);
        }

        if (query.RecordedTo is { } to)
        {
            var last = await ScalarAsync(connection, "SELECT MAX(seq) FROM audit_event WHERE recorded <= @to", ("to", to), cancellationToken);
            before = last is null ? long.MinValue + 1 : Math.Min(before ?? long.MaxValue, last.Value + 1);
        }

        long[]? candidates = null;
        for (var g = 0; g < query.Keys.Count && candidates is not { Length: 0 }; g++)
        {
            var positions = await PositionsAsync(connection, query.Keys[g], after, before, cancellationToken);
            candidates = candidates is null ? positions : Intersect(candidates, positions);
        }

        var hits = new List<AuditHit>();
        const int page = 256;
        var ordered = query.OldestFirst ? candidates! : candidates!.Reverse().ToArray();
        for (var start = 0; start < ordered.Length && hits.Count < query.Count; start += page)
        {
            var chunk = ordered.AsSpan(start, Math.Min(page, ordered.Length - start)).ToArray();
            hits.AddRange(await ReadHitsAsync(connection, query, chunk, query.Count - hits.Count, cancellationToken));
        }

        return hits;
    }

    private static async Task<long?> ScalarAsync(DbConnection connection, string sql, (string, object) parameter, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, parameter);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>The records in the query's order, bounds and limit; only those at <paramref name="positions"/> when given.</summary>
    private static async Task<List<AuditHit>> ReadHitsAsync(DbConnection connection, AuditQuery query, long[]? positions, int limit, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT e.seq, e.id, e.recorded, e.payload FROM audit_event e WHERE 1 = 1");
        var parameters = new List<(string, object)>();
        if (positions is not null)
        {
            sql.Append(" AND e.seq IN (");
            for (var i = 0; i < positions.Length; i++)
            {
                sql.Append(i == 0 ? string.Empty : ", ").Append(CultureInfo.InvariantCulture, $"@p{i}");
                parameters.Add(($"p{i}", positions[i]));
            }

            sql.Append(')');
        }

        if (query.RecordedFrom is { } from)
        {
            sql.Append(" AND e.recorded >= @from");
            parameters.Add(("from", from));
        }

        if (query.RecordedTo is { } to)
        {
            sql.Append(" AND e.recorded <= @to");
            parameters.Add(("to", to));
        }

        if (query.After is { } after)
        {
            sql.Append(" AND e.seq > @after");
            parameters.Add(("after", after));
        }

        if (query.Before is { } before)
        {
            sql.Append(" AND e.seq < @before");
            parameters.Add(("before", before));
        }

        sql.Append(query.OldestFirst ? " ORDER BY e.seq ASC" : " ORDER BY e.seq DESC").Append(" LIMIT @count");
        parameters.Add(("count", limit));
        await using var command = Command(connection, sql.ToString(), [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var hits = new List<AuditHit>();
        while (await reader.ReadAsync(cancellationToken))
        {
            hits.Add(Hit(reader));
        }

        return hits;
    }

    /// <summary>The positions, ascending and distinct, of the records that carry any of the key's values (within the paging bounds).</summary>
    private static async Task<long[]> PositionsAsync(DbConnection connection, (string Kind, IReadOnlyList<string> Values) key, long? after, long? before, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT first_seq, more FROM audit_posting WHERE kind = @kind AND value IN (");
        var parameters = new List<(string, object)> { ("kind", key.Kind) };
        for (var v = 0; v < key.Values.Count; v++)
        {
            sql.Append(v == 0 ? string.Empty : ", ").Append(CultureInfo.InvariantCulture, $"@v{v}");
            parameters.Add(($"v{v}", key.Values[v]));
        }

        sql.Append(')');
        if (after is { } lower)
        {
            sql.Append(" AND last_seq > @after");
            parameters.Add(("after", lower));
        }

        if (before is { } upper)
        {
            sql.Append(" AND first_seq < @before");
            parameters.Add(("before", upper));
        }

        await using var command = Command(connection, sql.ToString(), [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var positions = new List<long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var more = reader.IsDBNull(1) ? null : Bytes(reader, 1);
            foreach (var position in AuditPostingBuilder.Positions(reader.GetInt64(0), more))
            {
                if ((after is null || position > after) && (before is null || position < before))
                {
                    positions.Add(position);
                }
            }
        }

        positions.Sort();
        var distinct = new List<long>(positions.Count);
        foreach (var position in positions)
        {
            if (distinct.Count == 0 || distinct[^1] != position)
            {
                distinct.Add(position);
            }
        }

        return [.. distinct];
    }

    private static long[] Intersect(long[] a, long[] b)
    {
        var both = new List<long>(Math.Min(a.Length, b.Length));
        for (int i = 0, j = 0; i < a.Length && j < b.Length;)
        {
            if (a[i] == b[j])
            {
                both.Add(a[i]);
                i++;
                j++;
            }
            else if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return [.. both];
    }

    public async Task<AuditHit?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await using var connection = await _open(cancellationToken);
        await using var command = Command(connection, "SELECT seq, id, recorded, payload FROM audit_event WHERE id = @id", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? Hit(reader)
            : null;
    }

    public async Task<long> PruneAsync(long throughSeq, CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (_postgres)
        {
            await using var allow = Command(connection, "SET LOCAL carelake.audit_prune = 'on'");
            allow.Transaction = transaction;
            await allow.ExecuteNonQueryAsync(cancellationToken);
        }

        // A posting that also names later records stays (its earlier positions are simply no longer found).
        await using var keys = Command(connection, "DELETE FROM audit_posting WHERE last_seq <= @seq", ("seq", throughSeq));
        keys.Transaction = transaction;
        await keys.ExecuteNonQueryAsync(cancellationToken);
        await using var events = Command(connection, "DELETE FROM audit_event WHERE seq <= @seq", ("seq", throughSeq));
        events.Transaction = transaction;
        var removed = await events.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    /// <summary>
    /// A record as readers see it: an AuditEvent (compact access records rendered). A payload altered so that it no
    /// longer parses is returned as stored: <c>audit verify</c> reports it, and a reader should see what is there.
    /// </summary>
    private static AuditHit Hit(DbDataReader reader)
    {
        var id = reader.GetString(1);
        var payload = Bytes(reader, 3);
        try
        {
            payload = AuditPayload.ToJson(id, payload);
        }
        catch (FormatException)
        {
        }

        return new AuditHit(reader.GetInt64(0), id, new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), payload);
    }

    /// <summary>Bytes as stored; a value whose storage type was changed (by hand, in SQLite) is still read, so verify can report it.</summary>
    private static byte[] Bytes(DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        byte[] bytes => bytes,
        string text => Encoding.UTF8.GetBytes(text),
        _ => [],
    };

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>The postings in first-position order, read on demand.</summary>
    private sealed class PostingCursor(DbConnection connection) : IAsyncDisposable
    {
        private DbCommand? _command;
        private DbDataReader? _reader;
        private AuditPosting? _next;
        private bool _done;

        /// <summary>Reads every posting not read yet that starts at or before <paramref name="limit"/>, giving each position it names.</summary>
        public async Task ReadStartingAtOrBeforeAsync(long limit, Action<long, AuditPosting> each, CancellationToken cancellationToken)
        {
            while (await NextStartingAtOrBeforeAsync(limit, cancellationToken) is { } posting)
            {
                foreach (var position in AuditPostingBuilder.Positions(posting.First, posting.More))
                {
                    each(position, posting);
                }
            }
        }

        /// <summary>The next posting if it starts at or before <paramref name="position"/>; null otherwise (it stays next).</summary>
        private async Task<AuditPosting?> NextStartingAtOrBeforeAsync(long position, CancellationToken cancellationToken)
        {
            if (_reader is null)
            {
                _command = Command(connection, "SELECT kind, value, first_seq, last_seq, more FROM audit_posting ORDER BY first_seq");
                _reader = await _command.ExecuteReaderAsync(cancellationToken);
            }

            if (_next is null && !_done)
            {
                if (await _reader.ReadAsync(cancellationToken))
                {
                    _next = new AuditPosting(_reader.GetString(0), _reader.GetString(1), _reader.GetInt64(2), _reader.GetInt64(3), _reader.IsDBNull(4) ? null : Bytes(_reader, 4));
                }
                else
                {
                    _done = true;
                }
            }

            if (_next is null || _next.First > position)
            {
                return null;
            }

            var posting = _next;
            _next = null;
            return posting;
        }

        public async ValueTask DisposeAsync()
        {
            if (_reader is not null)
            {
                await _reader.DisposeAsync();
            }

            if (_command is not null)
            {
                await _command.DisposeAsync();
            }
        }
    }
}
