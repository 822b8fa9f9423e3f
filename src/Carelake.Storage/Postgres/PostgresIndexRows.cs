using Carelake.Core.Search;
using Npgsql;
using NpgsqlTypes;

namespace Carelake.Storage.Postgres;

/// <summary>
/// The index rows of one write unit, gathered per table and written together once the unit's resources have their
/// surrogate ids: with one INSERT … SELECT FROM unnest(arrays) per table (one round trip for all tables) for ordinary
/// writes, and with binary COPY for imports and large transactions, where per-row statements would dominate.
/// </summary>
internal sealed class PostgresIndexRows
{
    /// <summary>Contained resources beyond this many in one container are stored but not searchable (as on SQLite).</summary>
    public const int MaxContained = 1023;

    private static readonly Table String = new("idx_string", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("value_norm", NpgsqlDbType.Text), ("value_exact", NpgsqlDbType.Text)]);
    private static readonly Table Token = new("idx_token", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("system", NpgsqlDbType.Text), ("code", NpgsqlDbType.Text), ("text", NpgsqlDbType.Text), ("type_system", NpgsqlDbType.Text), ("type_code", NpgsqlDbType.Text)]);
    private static readonly Table Reference = new("idx_reference", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("target_type", NpgsqlDbType.Text), ("target_id", NpgsqlDbType.Text), ("target_version", NpgsqlDbType.Text), ("url", NpgsqlDbType.Text), ("identifier_system", NpgsqlDbType.Text), ("identifier_value", NpgsqlDbType.Text)]);
    private static readonly Table Date = new("idx_date", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("low", NpgsqlDbType.Bigint), ("high", NpgsqlDbType.Bigint)]);
    private static readonly Table Number = new("idx_number", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("value", NpgsqlDbType.Double), ("low", NpgsqlDbType.Double), ("high", NpgsqlDbType.Double)]);
    private static readonly Table Quantity = new("idx_quantity", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("system", NpgsqlDbType.Text), ("code", NpgsqlDbType.Text), ("unit", NpgsqlDbType.Text), ("value", NpgsqlDbType.Double), ("low", NpgsqlDbType.Double), ("high", NpgsqlDbType.Double), ("canon_code", NpgsqlDbType.Text), ("canon_value", NpgsqlDbType.Double)]);
    private static readonly Table Uri = new("idx_uri", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("uri", NpgsqlDbType.Text)]);
    private static readonly Table Composite = new("idx_composite", [("sid", NpgsqlDbType.Bigint), ("param_id", NpgsqlDbType.Integer), ("tuple", NpgsqlDbType.Bigint), ("position", NpgsqlDbType.Integer), ("system", NpgsqlDbType.Text), ("code", NpgsqlDbType.Text), ("text", NpgsqlDbType.Text), ("value_norm", NpgsqlDbType.Text), ("value_exact", NpgsqlDbType.Text), ("target_type", NpgsqlDbType.Text), ("target_id", NpgsqlDbType.Text), ("url", NpgsqlDbType.Text), ("uri", NpgsqlDbType.Text), ("unit", NpgsqlDbType.Text), ("value", NpgsqlDbType.Double), ("low", NpgsqlDbType.Bigint), ("high", NpgsqlDbType.Bigint), ("canon_code", NpgsqlDbType.Text), ("canon_value", NpgsqlDbType.Double)]);
    private static readonly Table Contained = new("contained_resource", [("sid", NpgsqlDbType.Bigint), ("container_sid", NpgsqlDbType.Bigint), ("type", NpgsqlDbType.Text), ("id", NpgsqlDbType.Text), ("last_updated", NpgsqlDbType.Bigint)]);

    private static readonly Table[] Tables = [String, Token, Reference, Date, Number, Quantity, Uri, Composite, Contained];

    /// <summary>Deletes every index row of one resource and of its contained resources (one statement, one round trip).</summary>
    public static readonly string DeleteSql = string.Join(", ",
            Tables.Where(t => t != Contained).Select(t => $"d_{t.Name} AS (DELETE FROM {t.Name} WHERE sid = @sid OR sid BETWEEN @low AND @high)"))
        .Insert(0, "WITH ") + ", d_text AS (DELETE FROM resource_text WHERE sid = @sid) DELETE FROM contained_resource WHERE container_sid = @sid";

    private readonly Dictionary<Table, List<object?[]>> _rows = Tables.ToDictionary(t => t, _ => new List<object?[]>());
    private readonly List<(long Sid, string Narrative, string Content)> _text = [];
    private readonly HashSet<long> _sids = [];

    public int Count { get; private set; }

    /// <summary>Whether rows of this resource are waiting: a second write of it in the same unit must flush them first.</summary>
    public bool Holds(long sid) => _sids.Contains(sid);

    /// <summary>The sid range [low, high] a container's contained resources occupy (negative, so never a stored resource's).</summary>
    public static (long Low, long High) ContainedRange(long containerSid) => (ContainedSid(containerSid, MaxContained), ContainedSid(containerSid, 0));

    private static long ContainedSid(long containerSid, int position) => -((containerSid * (MaxContained + 1)) + position + 1);

    public void Add(long sid, long lastUpdatedTicks, IReadOnlyList<IndexValue> values)
    {
        _sids.Add(sid);
        var position = 0;
        var tuple = 0L;
        foreach (var value in values)
        {
            if (value is not ContainedIndexValue contained)
            {
                AddValue(sid, value, ref tuple);
            }
            else if (position < MaxContained)
            {
                var containedSid = ContainedSid(sid, position++);
                Append(Contained, containedSid, sid, contained.Type, contained.Id, lastUpdatedTicks);
                foreach (var inner in contained.Values)
                {
                    AddValue(containedSid, inner, ref tuple);
                }
            }
        }
    }

    private void AddValue(long sid, IndexValue value, ref long tuple)
    {
        switch (value)
        {
            case StringIndexValue s:
                Append(String, sid, s.ParamId, s.Normalized, s.Exact);
                break;
            case TokenIndexValue t:
                Append(Token, sid, t.ParamId, t.System, t.Code, t.Text, t.TypeSystem, t.TypeCode);
                break;
            case ReferenceIndexValue r:
                Append(Reference, sid, r.ParamId, r.TargetType, r.TargetId, r.TargetVersion, r.Url, r.IdentifierSystem, r.IdentifierValue);
                break;
            case DateIndexValue d:
                Append(Date, sid, d.ParamId, d.Low, d.High);
                break;
            case NumberIndexValue n:
                Append(Number, sid, n.ParamId, (double)n.Value, (double)n.Low, (double)n.High);
                break;
            case QuantityIndexValue q:
                Append(Quantity, sid, q.ParamId, q.System, q.Code, q.Unit, (double)q.Value, (double)q.Low, (double)q.High, q.CanonicalCode, q.CanonicalValue is { } cv ? (double)cv : null);
                break;
            case UriIndexValue u:
                Append(Uri, sid, u.ParamId, u.Uri);
                break;
            case CompositeIndexValue c:
                // Tuple numbers only need to be unique within one resource's rows: they tie one tuple's components together.
                AddComposite(sid, c, ++tuple);
                break;
            case TextIndexValue x:
                _text.Add((sid, SearchSql.FullTextFolding.Fold(x.Narrative), SearchSql.FullTextFolding.Fold(x.Content)));
                Count++;
                break;
            default:
                throw new InvalidOperationException($"Unknown index value {value.GetType().Name}.");
        }
    }

    private void AddComposite(long sid, CompositeIndexValue composite, long tuple)
    {
        for (var position = 0; position < composite.Components.Count; position++)
        {
            Append(Composite, [sid, composite.ParamId, tuple, position, .. SearchSql.CompositeColumns.Of(composite.Components[position])]);
        }
    }

    private void Append(Table table, params object?[] row)
    {
        _rows[table].Add(row);
        Count++;
    }

    public async Task FlushAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int copyThreshold, CancellationToken cancellationToken)
    {
        if (Count == 0)
        {
            return;
        }

        if (Count >= copyThreshold)
        {
            foreach (var (table, rows) in _rows.Where(kv => kv.Value.Count > 0))
            {
                await CopyAsync(connection, table, rows, cancellationToken);
            }
        }
        else
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var (table, rows) in _rows.Where(kv => kv.Value.Count > 0))
            {
                batch.BatchCommands.Add(Unnest(table, rows));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        if (_text.Count > 0)
        {
            // tsvectors are computed by the server, which COPY cannot do: full text always goes through unnest.
            await using var text = new NpgsqlCommand(
                "INSERT INTO resource_text (sid, narrative, content) SELECT s, to_tsvector('simple', n), to_tsvector('simple', c) FROM unnest(@s, @n, @c) AS u(s, n, c)",
                connection, transaction);
            text.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = _text.Select(t => t.Sid).ToArray() });
            text.Parameters.Add(new NpgsqlParameter("n", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = _text.Select(t => t.Narrative).ToArray() });
            text.Parameters.Add(new NpgsqlParameter("c", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = _text.Select(t => t.Content).ToArray() });
            await text.ExecuteNonQueryAsync(cancellationToken);
        }

        Clear();
    }

    private void Clear()
    {
        foreach (var rows in _rows.Values)
        {
            rows.Clear();
        }

        _text.Clear();
        _sids.Clear();
        Count = 0;
    }

    private static NpgsqlBatchCommand Unnest(Table table, List<object?[]> rows)
    {
        var columns = string.Join(", ", table.Columns.Select(c => c.Name));
        var arrays = string.Join(", ", table.Columns.Select((_, i) => "@a" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var command = new NpgsqlBatchCommand($"INSERT INTO {table.Name} ({columns}) SELECT * FROM unnest({arrays})");
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var (_, type) = table.Columns[i];
            var column = i;
            Array values = type switch
            {
                NpgsqlDbType.Bigint => rows.Select(r => r[column] is null ? (long?)null : Convert.ToInt64(r[column], System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                NpgsqlDbType.Integer => rows.Select(r => r[column] is null ? (int?)null : Convert.ToInt32(r[column], System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                NpgsqlDbType.Double => rows.Select(r => (double?)r[column]).ToArray(),
                _ => rows.Select(r => (string?)r[column]).ToArray(),
            };
            command.Parameters.Add(new NpgsqlParameter("a" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Array | type) { Value = values });
        }

        return command;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, Table table, List<object?[]> rows, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {table.Name} ({string.Join(", ", table.Columns.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(cancellationToken);
            for (var i = 0; i < table.Columns.Count; i++)
            {
                var value = row[i];
                var type = table.Columns[i].Type;
                if (value is null)
                {
                    await writer.WriteNullAsync(cancellationToken);
                }
                else if (type == NpgsqlDbType.Bigint)
                {
                    await writer.WriteAsync(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), type, cancellationToken);
                }
                else if (type == NpgsqlDbType.Integer)
                {
                    await writer.WriteAsync(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture), type, cancellationToken);
                }
                else
                {
                    await writer.WriteAsync(value, type, cancellationToken);
                }
            }
        }

        await writer.CompleteAsync(cancellationToken);
    }

    private sealed record Table(string Name, IReadOnlyList<(string Name, NpgsqlDbType Type)> Columns);
}
