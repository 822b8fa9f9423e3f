using Carelake.Core.Search;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// The idx_composite columns one component of a composite value fills, in table order after (sid, param_id, tuple,
/// position): system, code, text, value_norm, value_exact, target_type, target_id, url, uri, unit, value, low, high,
/// canon_code, canon_value. Shared by both providers' writers so the two tables hold the same rows.
/// </summary>
internal static class CompositeColumns
{
    public const int ColumnCount = 15;

    public static object?[] Of(IndexValue component)
    {
        var columns = new object?[ColumnCount];
        switch (component)
        {
            case StringIndexValue s:
                (columns[3], columns[4]) = (s.Normalized, s.Exact);
                break;
            case TokenIndexValue t:
                (columns[0], columns[1], columns[2]) = (t.System, t.Code, t.Text);
                break;
            case ReferenceIndexValue r:
                (columns[5], columns[6], columns[7]) = (r.TargetType, r.TargetId, r.Url);
                break;
            case DateIndexValue d:
                (columns[11], columns[12]) = (d.Low, d.High);
                break;
            case NumberIndexValue n:
                columns[10] = (double)n.Value;
                break;
            case QuantityIndexValue q:
                (columns[0], columns[1], columns[9], columns[10], columns[13]) = (q.System, q.Code, q.Unit, (double)q.Value, q.CanonicalCode);
                columns[14] = q.CanonicalValue is { } cv ? (double)cv : null;
                break;
            case UriIndexValue u:
                columns[8] = u.Uri;
                break;
        }

        return columns;
    }
}
