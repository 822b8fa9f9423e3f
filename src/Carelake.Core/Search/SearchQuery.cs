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
    Identifier,
    OfType,
    Above,
    Below,
    In,
    NotIn,
}

/// <summary>A parsed search: criteria are ANDed; the values of one criterion are ORed.</summary>
public sealed record SearchQuery
{
    /// <summary>The type searched; "Resource" for a system-level search across <see cref="Types"/>.</summary>
    public required string ResourceType { get; init; }

    /// <summary>System-level search: the _type list (empty: every type).</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    public IReadOnlyList<SearchCriterion> Criteria { get; init; } = [];

    public int Count { get; init; } = 20;

    /// <summary>Opaque continuation from a previous page's next link.</summary>
    public string? Cursor { get; init; }

    public bool IncludeTotal { get; init; }

    /// <summary>Sort keys in order; empty: the stable storage order.</summary>
    public IReadOnlyList<SortClause> Sort { get; init; } = [];

    public IReadOnlyList<IncludeSpec> Includes { get; init; } = [];

    public IReadOnlyList<IncludeSpec> RevIncludes { get; init; } = [];

    /// <summary>_summary=count: only the total is wanted.</summary>
    public bool CountOnly { get; init; }

    /// <summary>Compartment search (<c>Patient/123/Observation</c>): only resources in that compartment.</summary>
    public CompartmentFilter? Compartment { get; init; }

    /// <summary><c>_contained</c>: whether the criteria are tested on stored resources, contained ones, or both.</summary>
    public ContainedSearch Contained { get; init; }

    /// <summary><c>_containedType=contained</c>: matches inside containers are returned as the contained resources themselves.</summary>
    public bool ReturnContained { get; init; }
}

public enum ContainedSearch
{
    /// <summary>Only stored (top-level) resources: the default.</summary>
    No,

    /// <summary>Only resources contained in others.</summary>
    Only,

    Both,
}

/// <param name="Parameters">The reference parameters that place the searched type in the compartment.</param>
/// <param name="IncludesSelf">The compartment's own resource (Patient/123 in its Patient compartment) is a member.</param>
public sealed record CompartmentFilter(string Type, string Id, IReadOnlyList<SearchParameterInfo> Parameters, bool IncludesSelf);

/// <param name="Parameter">Null for _id and _lastUpdated.</param>
public sealed record SortClause(string Code, SearchParameterInfo? Parameter, bool Descending);

/// <param name="SourceType">The type whose references are followed; "*" for any (only with <c>_revinclude=*</c>).</param>
/// <param name="Parameter">Null for the wildcard: every reference parameter.</param>
public sealed record IncludeSpec(string SourceType, SearchParameterInfo? Parameter, string? TargetType, bool Iterate);

/// <summary>
/// A chained criterion (<c>subject:Patient.name=x</c>): the reference parameter must point at a resource of one of
/// <see cref="TargetTypes"/> that matches <see cref="Inner"/>.
/// </summary>
public sealed record ChainedCriterion(SearchParameterInfo Reference, IReadOnlyList<string> TargetTypes, SearchCriterion Inner);

/// <summary>A reverse chain (<c>_has:Observation:patient:code=x</c>): some <see cref="SourceType"/> resource that matches <see cref="Inner"/> refers to this one through <see cref="Reference"/>.</summary>
public sealed record ReverseChainedCriterion(string SourceType, SearchParameterInfo Reference, SearchCriterion Inner);

/// <param name="Parameter">Null for the column parameters <c>_id</c> and <c>_lastUpdated</c>.</param>
/// <param name="TypeModifier">The resource type of a <c>:[type]</c> modifier on a reference parameter.</param>
public record SearchCriterion(string Code, SearchParameterInfo? Parameter, SearchModifier Modifier, IReadOnlyList<SearchValue> Values, string? TypeModifier = null)
{
    /// <summary>Set when this criterion is a chain; then <see cref="Values"/> is empty and the chain carries the test.</summary>
    public IReadOnlyList<ChainedCriterion>? Chain { get; init; }

    public ReverseChainedCriterion? Has { get; init; }
}

/// <summary>
/// $everything's <c>start</c>/<c>end</c>: resources whose care date (one of <paramref name="DateParameters"/>)
/// overlaps [Low, High] in UTC ticks, and resources without a care date.
/// </summary>
public sealed record CareDateCriterion(IReadOnlyList<SearchParameterInfo> DateParameters, long Low, long High)
    : SearchCriterion("_careDate", null, SearchModifier.None, []);

public abstract record SearchValue;

public sealed record StringSearchValue(string Normalized, string Exact) : SearchValue;

/// <param name="System">Null: any system. Empty: explicitly no system (<c>|code</c>).</param>
/// <param name="Code">Null: any code (<c>system|</c>).</param>
public sealed record TokenSearchValue(string? System, string? Code) : SearchValue;

/// <param name="Url">An absolute or canonical URL; for a canonical <c>url|version</c>, the part before the bar.</param>
/// <param name="Version">The <c>|version</c> of a canonical reference: only that version matches.</param>
public sealed record ReferenceSearchValue(string? Type, string? Id, string? Url, string? Version = null) : SearchValue;

public sealed record DateSearchValue(SearchPrefix Prefix, FhirDateRange Range) : SearchValue;

public sealed record NumberSearchValue(SearchPrefix Prefix, decimal Value, decimal Low, decimal High) : SearchValue;

public sealed record QuantitySearchValue(SearchPrefix Prefix, decimal Value, decimal Low, decimal High, string? System, string? Code) : SearchValue;

public sealed record UriSearchValue(string Uri) : SearchValue;

/// <summary>A ValueSet named by <c>:in</c>/<c>:not-in</c> (canonical URL or ValueSet/id), expanded before the query runs.</summary>
public sealed record ValueSetSearchValue(string ValueSet) : SearchValue;

public sealed record MissingSearchValue(bool Missing) : SearchValue;

/// <summary><c>identifier:of-type=typeSystem|typeCode|value</c>.</summary>
public sealed record OfTypeSearchValue(string TypeSystem, string TypeCode, string Value) : SearchValue;

/// <summary>A composite value <c>a$b</c>: one search value per component, all to match within one tuple.</summary>
public sealed record CompositeSearchValue(IReadOnlyList<SearchValue> Components) : SearchValue;
