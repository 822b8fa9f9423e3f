namespace Carelake.Core.Search;

/// <summary>A normalised value extracted for one search parameter of one resource; one row in an index table.</summary>
public abstract record IndexValue(int ParamId);

/// <param name="Normalized">Lower-cased, accent-folded, whitespace-collapsed: the default string match.</param>
/// <param name="Exact">As written, for <c>:exact</c>.</param>
public sealed record StringIndexValue(int ParamId, string Normalized, string Exact) : IndexValue(ParamId);

/// <param name="Text">Display or text, normalised, for <c>:text</c>.</param>
/// <param name="TypeSystem">For an Identifier: its type coding, for <c>:of-type</c>.</param>
public sealed record TokenIndexValue(int ParamId, string? System, string? Code, string? Text, string? TypeSystem = null, string? TypeCode = null) : IndexValue(ParamId);

/// <param name="TargetType">Resource type of a relative or absolute FHIR reference (null for other URLs).</param>
/// <param name="Url">The reference as written, for absolute, canonical and urn references.</param>
/// <param name="IdentifierSystem">Reference.identifier, for <c>:identifier</c>.</param>
public sealed record ReferenceIndexValue(int ParamId, string? TargetType, string? TargetId, string? TargetVersion, string? Url, string? IdentifierSystem = null, string? IdentifierValue = null) : IndexValue(ParamId);

public sealed record DateIndexValue(int ParamId, long Low, long High) : IndexValue(ParamId);

/// <summary>A number with the range implied by its precision (1.0 is [0.95, 1.05]).</summary>
public sealed record NumberIndexValue(int ParamId, decimal Value, decimal Low, decimal High) : IndexValue(ParamId);

/// <param name="CanonicalCode">UCUM canonical unit (null when the unit is not UCUM or not convertible).</param>
public sealed record QuantityIndexValue(int ParamId, string? System, string? Code, string? Unit, decimal Value, decimal Low, decimal High, string? CanonicalCode = null, decimal? CanonicalValue = null) : IndexValue(ParamId);

public sealed record UriIndexValue(int ParamId, string Uri) : IndexValue(ParamId);

/// <summary>Words for _text (narrative) and _content (all text); one per resource.</summary>
public sealed record TextIndexValue(int ParamId, string Narrative, string Content) : IndexValue(ParamId);

/// <summary>One tuple of a composite parameter: the values of its components, in order, from one element.</summary>
public sealed record CompositeIndexValue(int ParamId, IReadOnlyList<IndexValue> Components) : IndexValue(ParamId);

/// <summary>The index values of one contained resource (<c>contained[]</c>), for <c>_contained</c> searches and chains into it.</summary>
/// <param name="Id">The local id, without the '#'.</param>
public sealed record ContainedIndexValue(string Type, string Id, IReadOnlyList<IndexValue> Values) : IndexValue(0);
