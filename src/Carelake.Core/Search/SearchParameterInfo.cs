using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>One search parameter as it applies to one resource type (the spec shares definitions across types).</summary>
public sealed record SearchParameterInfo
{
    /// <summary>Storage id of this (type, code) pair; 0 until the storage provider assigns one.</summary>
    public int Id { get; init; }

    public required string ResourceType { get; init; }

    /// <summary>
    /// Parameters defined on Resource (_tag, _profile, _security, _source) share one storage id across all types, so a
    /// system-level search (<c>GET [base]?_type=…&amp;_tag=…</c>) is one index lookup.
    /// </summary>
    public bool IsCommon { get; init; }

    public string StorageKey => IsCommon ? "Resource" : ResourceType;

    public required string Code { get; init; }

    public required SearchParamType Type { get; init; }

    public required string Url { get; init; }

    /// <summary>The part of the definition's FHIRPath expression that applies to <see cref="ResourceType"/>.</summary>
    public required string Expression { get; init; }

    /// <summary>Reference target types the definition allows (empty: any).</summary>
    public IReadOnlyList<string> TargetTypes { get; init; } = [];

    /// <summary>
    /// Set when the expression restricts references by the type of their target (<c>where(resolve() is Patient)</c>):
    /// resolution is replaced by reading the type from the reference itself, which needs no database lookup.
    /// </summary>
    public string? TargetTypeFilter { get; init; }

    /// <summary>For composite parameters: each component's kind and FHIRPath expression, relative to the composite's element.</summary>
    public IReadOnlyList<CompositeComponent> Components { get; init; } = [];

    /// <summary>
    /// Set when this parameter is exactly the union of other parameters of its type (Observation's <c>combo-code</c> is
    /// <c>code | component-code</c>): it stores no index rows of its own, and a search reads the rows of these storage
    /// ids instead. Empty for every other parameter.
    /// </summary>
    public IReadOnlyList<int> StoredAs { get; init; } = [];

    /// <summary>The storage ids whose index rows answer a search on this parameter.</summary>
    public IReadOnlyList<int> RowIds => StoredAs.Count > 0 ? StoredAs : [Id];
}

public sealed record CompositeComponent(SearchParamType Type, string Expression);
