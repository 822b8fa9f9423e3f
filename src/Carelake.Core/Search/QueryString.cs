namespace Carelake.Core.Search;

public static class QueryString
{
    /// <summary>Parses "a=1&amp;b=2" keeping order and repeats (AND semantics of repeated search parameters).</summary>
    public static List<KeyValuePair<string, string>> Parse(string query)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? string.Empty : pair[(equals + 1)..];
            result.Add(new(Uri.UnescapeDataString(key.Replace('+', ' ')), Uri.UnescapeDataString(value.Replace('+', ' '))));
        }

        return result;
    }
}
