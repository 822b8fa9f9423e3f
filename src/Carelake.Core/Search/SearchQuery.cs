namespace Carelake.Core.Search;

public enum SearchPrefix
{
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
    Ap,
}

public enum SearchModifier
{
    None,
    Exact,
    Contains,
    Missing,
    Not,
    Text,
    Type,
}

/// <summary>A parsed search: criteria are ANDed; the values of one criterion are ORed.</summary>
public sealed record SearchQuery
{
    public required string ResourceType { get; init; }

    public IReadOnlyList<SearchCriterion> Criteria { get; init; } = [];

    public int Count { get; init; } = 20;

    /// <summary>Opaque continuation from a previous page's next link.</summary>
    public string? Cursor { get; init; }

    public bool IncludeTotal { get; init; }
}

/// <param name="Parameter">Null for the column parameters <c>_id</c> and <c>_lastUpdated</c>.</param>
/// <param name="TypeModifier">The resource type of a <c>:[type]</c> modifier on a reference parameter.</param>
public sealed record SearchCriterion(string Code, SearchParameterInfo? Parameter, SearchModifier Modifier, IReadOnlyList<SearchValue> Values, string? TypeModifier = null);

public abstract record SearchValue;

public sealed record StringSearchValue(string Normalized, string Exact) : SearchValue;

/// <param name="System">Null: any system. Empty: explicitly no system (<c>|code</c>).</param>
/// <param name="Code">Null: any code (<c>system|</c>).</param>
public sealed record TokenSearchValue(string? System, string? Code) : SearchValue;

public sealed record ReferenceSearchValue(string? Type, string? Id, string? Url) : SearchValue;

public sealed record DateSearchValue(SearchPrefix Prefix, FhirDateRange Range) : SearchValue;

public sealed record NumberSearchValue(SearchPrefix Prefix, decimal Value, decimal Low, decimal High) : SearchValue;

public sealed record QuantitySearchValue(SearchPrefix Prefix, decimal Value, decimal Low, decimal High, string? System, string? Code) : SearchValue;

public sealed record UriSearchValue(string Uri) : SearchValue;

public sealed record MissingSearchValue(bool Missing) : SearchValue;
