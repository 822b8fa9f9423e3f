namespace Carelake.Core.Audit;

/// <summary>
/// One stored row of the audit key index: the positions of the records, chained in one transaction, that carry a
/// key. <paramref name="More"/> holds the positions after <paramref name="First"/> as gaps (unsigned LEB128), null
/// when the posting holds <paramref name="First"/> only.
/// </summary>
public sealed record AuditPosting(string Kind, string Value, long First, long Last, byte[]? More);

/// <summary>
/// Builds and reads postings. One row per distinct key per transaction instead of one per record and key: a second
/// of journaled searches (≈ 2,000 records of ≈ 20 keys each) chains as a few hundred rows, not 40,000 random
/// inserts into the key index.
/// </summary>
public sealed class AuditPostingBuilder
{
    private readonly Dictionary<(string Kind, string Value), Builder> _keys = [];

    public int Count => _keys.Count;

    /// <summary>Adds a record's keys; records must come in ascending position order.</summary>
    public void Add(long seq, AuditKeys keys)
    {
        foreach (var key in keys.Keys)
        {
            if (!_keys.TryGetValue(key, out var builder))
            {
                _keys[key] = builder = new Builder(seq);
            }
            else
            {
                builder.Append(seq);
            }
        }
    }

    public void Clear() => _keys.Clear();

    /// <summary>The postings, ordered by their first position (then key) so that the rows are stored in chain order.</summary>
    public List<AuditPosting> Build()
    {
        var postings = new List<AuditPosting>(_keys.Count);
        foreach (var ((kind, value), builder) in _keys)
        {
            postings.Add(new AuditPosting(kind, value, builder.First, builder.Last, builder.Gaps));
        }

        postings.Sort(static (a, b) => a.First != b.First ? a.First.CompareTo(b.First)
            : string.CompareOrdinal(a.Kind, b.Kind) is var k and not 0 ? k : string.CompareOrdinal(a.Value, b.Value));
        return postings;
    }

    /// <summary>The positions a posting holds, ascending; a malformed gap list ends the list where it breaks.</summary>
    public static List<long> Positions(long first, byte[]? more)
    {
        var positions = new List<long> { first };
        if (more is null)
        {
            return positions;
        }

        var current = first;
        var i = 0;
        while (i < more.Length)
        {
            ulong gap = 0;
            var shift = 0;
            byte b;
            do
            {
                if (i >= more.Length || shift > 56)
                {
                    return positions;
                }

                b = more[i++];
                gap |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0);

            current += (long)gap;
            positions.Add(current);
        }

        return positions;
    }

    private sealed class Builder(long first)
    {
        private byte[]? _gaps;
        private int _length;

        public long First { get; } = first;

        public long Last { get; private set; } = first;

        public byte[]? Gaps => _gaps is null ? null : _gaps.AsSpan(0, _length).ToArray();

        public void Append(long seq)
        {
            if (seq == Last)
            {
                return;
            }

            if (seq < Last)
            {
                throw new InvalidOperationException("Audit records are added to postings in position order.");
            }

            var gap = (ulong)(seq - Last);
            Last = seq;
            _gaps ??= new byte[16];
            if (_length + 10 > _gaps.Length)
            {
                Array.Resize(ref _gaps, _gaps.Length * 2);
            }

            while (gap >= 0x80)
            {
                _gaps[_length++] = (byte)(gap | 0x80);
                gap >>= 7;
            }

            _gaps[_length++] = (byte)gap;
        }
    }
}
