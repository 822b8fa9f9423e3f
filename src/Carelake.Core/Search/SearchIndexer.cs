using System.Collections.Concurrent;
using System.Globalization;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace Carelake.Core.Search;

/// <summary>
/// Extracts index values from a resource by evaluating each parameter's FHIRPath expression. Expressions are compiled
/// once per (type, parameter) and cached; compilation failures disable that parameter instead of failing writes.
/// </summary>
public sealed partial class SearchIndexer(SearchParameterRegistry registry)
{
    /// <summary>False evaluates every parameter with FHIRPath: the reference the walked paths are tested against.</summary>
    internal bool WalkSimplePaths { get; init; } = true;

    private const int MaxCompositeTuples = 16;

    private static readonly FhirPathCompiler Compiler = new();

    private volatile Plans _plans = new(registry.Version);

    public SearchParameterRegistry Registry => registry;

    public List<IndexValue> Extract(Resource resource)
    {
        var values = ExtractOwn(resource);
        if (resource is DomainResource { Contained.Count: > 0 } domain)
        {
            foreach (var contained in domain.Contained)
            {
                if (!string.IsNullOrEmpty(contained.Id))
                {
                    values.Add(new ContainedIndexValue(contained.TypeName, contained.Id, ExtractOwn(contained)));
                }
            }
        }

        return values;
    }

    private List<IndexValue> ExtractOwn(Resource resource)
    {
        var values = new List<IndexValue>();
        var plans = _plans;
        if (plans.Version != registry.Version)
        {
            // The registry changed (custom parameters installed): recompile lazily from the new set.
            plans = _plans = new Plans(registry.Version);
        }

        var plan = plans.ByType.GetOrAdd(resource.TypeName, Compile);
        if (plan.Length == 0)
        {
            return values;
        }

        PocoNode? root = null;
        FhirEvaluationContext? context = null;
        // Most parameters of a type find nothing in a given resource; the ones whose top-level element is absent
        // are skipped without evaluating anything (the largest share of indexing time otherwise).
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in resource.EnumerateElements())
        {
            present.Add(name);
        }

        foreach (var parameter in plan)
        {
            if (parameter.RootElements is { } roots && !roots.Any(present.Contains))
            {
                continue;
            }

            if (parameter.Path is { } path)
            {
                foreach (var element in path.Select(resource))
                {
                    if (parameter.ComponentPaths is { } componentPaths)
                    {
                        AddComposite(parameter.Info.Id, parameter.Components, element, componentPaths, values);
                    }
                    else
                    {
                        AddValues(parameter.Info, element, values);
                    }
                }

                continue;
            }

            root ??= resource.ToPocoNode(ModelInfo.ModelInspector);
            context ??= new FhirEvaluationContext();
            IEnumerable<PocoNode> nodes;
            try
            {
                nodes = parameter.Expression.Invoke([root], context).ToList();
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or InvalidCastException or NotSupportedException)
            {
                // A definition whose expression does not apply to this instance indexes nothing for it.
                continue;
            }

            foreach (var node in nodes)
            {
                if (parameter.Components.Length > 0)
                {
                    AddComposite(parameter, node, context, values);
                }
                else if (node.Poco is { } element)
                {
                    AddValues(parameter.Info, element, values);
                }
            }
        }

        return values;
    }

    private CompiledParameter[] Compile(string resourceType)
    {
        var compiled = new List<CompiledParameter>();
        // A union parameter (combo-code …) is searched through the rows of the parameters it unites.
        foreach (var parameter in registry.ForType(resourceType).Where(p => p.StoredAs.Count == 0))
        {
            try
            {
                var components = parameter.Components
                    .Select(c => (Info: parameter with { Type = c.Type, Id = 0, Components = [], TargetTypeFilter = null }, Expression: Compiler.Compile(c.Expression)))
                    .ToArray();
                var path = WalkSimplePaths ? ElementPath.TryParse(parameter.Expression, parameter.ResourceType) : null;
                var componentPaths = components.Length > 0 && path is not null
                    ? parameter.Components.Select(c => ElementPath.TryParse(c.Expression, rootType: null)).ToArray()
                    : null;
                var walkable = componentPaths is null || componentPaths.All(p => p is not null);
                compiled.Add(new CompiledParameter(parameter, Compiler.Compile(parameter.Expression), components)
                {
                    RootElements = RootElementsOf(parameter),
                    Path = walkable ? path : null,
                    ComponentPaths = walkable ? componentPaths?.OfType<ElementPath>().ToArray() : null,
                });
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                // Left out of indexing; the CapabilityStatement only lists parameters that compiled.
            }
        }

        return [.. compiled];
    }

    private static void AddValues(SearchParameterInfo parameter, Base element, List<IndexValue> values)
    {
        var id = parameter.Id;
        switch (parameter.Type)
        {
            case SearchParamType.String:
                AddStrings(id, element, values);
                break;
            case SearchParamType.Token:
                AddTokens(id, element, values);
                break;
            case SearchParamType.Reference:
                AddReference(parameter, element, values);
                break;
            case SearchParamType.Date:
                AddDate(id, element, values);
                break;
            case SearchParamType.Number:
                if (NumberOf(element) is { } number)
                {
                    var (low, high) = PrecisionRange(number);
                    values.Add(new NumberIndexValue(id, number, low, high));
                }

                break;
            case SearchParamType.Quantity:
                AddQuantity(id, element, values);
                break;
            case SearchParamType.Uri:
                if (element is PrimitiveType { JsonValue: string uri })
                {
                    values.Add(new UriIndexValue(id, uri));
                }

                break;
        }
    }

    private static void AddStrings(int id, Base element, List<IndexValue> values)
    {
        switch (element)
        {
            case HumanName name:
                AddString(id, name.Family, values);
                foreach (var part in name.Given)
                {
                    AddString(id, part, values);
                }

                foreach (var part in name.Prefix)
                {
                    AddString(id, part, values);
                }

                foreach (var part in name.Suffix)
                {
                    AddString(id, part, values);
                }

                AddString(id, name.Text, values);
                break;
            case Address address:
                foreach (var line in address.Line)
                {
                    AddString(id, line, values);
                }

                AddString(id, address.City, values);
                AddString(id, address.District, values);
                AddString(id, address.State, values);
                AddString(id, address.PostalCode, values);
                AddString(id, address.Country, values);
                AddString(id, address.Text, values);
                break;
            case PrimitiveType { JsonValue: string text }:
                AddString(id, text, values);
                break;
            case CodeableConcept concept:
                AddString(id, concept.Text, values);
                break;
        }
    }

    private static void AddString(int id, string? text, List<IndexValue> values)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            // Index rows are for searching, not for storage: long narrative strings are cut to keep index pages dense.
            var exact = text.Length > 512 ? text[..512] : text;
            values.Add(new StringIndexValue(id, TextNormalizer.Normalize(exact), exact));
        }
    }

    private static void AddTokens(int id, Base element, List<IndexValue> values)
    {
        switch (element)
        {
            case Coding coding:
                AddCoding(id, coding, null, values);
                break;
            case CodeableConcept concept:
                foreach (var coding in concept.Coding)
                {
                    AddCoding(id, coding, concept.Text, values);
                }

                // :text covers CodeableConcept.text as well as each Coding.display (R4 3.1.1.5.5).
                if (!string.IsNullOrWhiteSpace(concept.Text) && concept.Coding.All(c => c.Display != concept.Text))
                {
                    values.Add(new TokenIndexValue(id, null, null, TextNormalizer.Normalize(concept.Text)));
                }

                break;
            case Identifier identifier when identifier.Value is not null || identifier.System is not null:
                var type = identifier.Type?.Coding.FirstOrDefault();
                values.Add(new TokenIndexValue(id, identifier.System, identifier.Value, Normalized(identifier.Type?.Text), type?.System, type?.Code));
                break;
            case ContactPoint contact when contact.Value is not null:
                values.Add(new TokenIndexValue(id, contact.System?.ToString().ToLowerInvariant(), contact.Value, null));
                break;
            case FhirBoolean { Value: { } flag }:
                values.Add(new TokenIndexValue(id, null, flag ? "true" : "false", null));
                break;
            case PrimitiveType primitive when primitive.JsonValue is not null:
                values.Add(new TokenIndexValue(id, CodeSystems.Of(primitive), primitive.ToString(), null));
                break;
        }
    }

    private static void AddCoding(int id, Coding coding, string? conceptText, List<IndexValue> values)
    {
        if (coding.Code is null && coding.System is null)
        {
            return;
        }

        values.Add(new TokenIndexValue(id, coding.System, coding.Code, Normalized(coding.Display ?? conceptText)));
    }

    private static string? Normalized(string? text) => string.IsNullOrWhiteSpace(text) ? null : TextNormalizer.Normalize(text);

    private static void AddReference(SearchParameterInfo parameter, Base element, List<IndexValue> values)
    {
        var reference = element switch
        {
            ResourceReference r => r.Reference,
            PrimitiveType { JsonValue: string s } => s,
            _ => null,
        };
        var identifier = (element as ResourceReference)?.Identifier;
        if (identifier?.Value is null)
        {
            identifier = null;
        }

        if (string.IsNullOrEmpty(reference) && identifier is null)
        {
            return;
        }

        if (reference is not null && reference.StartsWith('#'))
        {
            // A contained resource: recorded (so :missing sees the reference), never resolved as a stored target.
            values.Add(new ReferenceIndexValue(parameter.Id, null, null, null, reference, identifier?.System, identifier?.Value));
            return;
        }

        if (element is Canonical && reference is not null && reference.IndexOf('|', StringComparison.Ordinal) is var bar and > 0)
        {
            // url|version: the URL alone is what a search without a version matches; the version narrows.
            var url = reference[..bar];
            var target = ReferenceParser.Parse(url);
            values.Add(new ReferenceIndexValue(parameter.Id, target.Type, target.Id, reference[(bar + 1)..], url));
            return;
        }

        var parsed = string.IsNullOrEmpty(reference) ? default : ReferenceParser.Parse(reference);
        if (parameter.TargetTypeFilter is { } filter && !string.Equals(parsed.Type ?? (element as ResourceReference)?.Type, filter, StringComparison.Ordinal))
        {
            return;
        }

        values.Add(new ReferenceIndexValue(parameter.Id, parsed.Type, parsed.Id, parsed.Version, parsed.IsLocal || parsed.Type is null && reference is null ? null : reference, identifier?.System, identifier?.Value));
    }

    private static void AddDate(int id, Base element, List<IndexValue> values)
    {
        switch (element)
        {
            case Period period:
                FhirDateRange? start = FhirDateRange.TryParse(period.Start, out var s) ? s : null;
                FhirDateRange? end = FhirDateRange.TryParse(period.End, out var e) ? e : null;
                if (start is not null || end is not null)
                {
                    var range = FhirDateRange.Between(start, end);
                    values.Add(new DateIndexValue(id, range.Low, range.High));
                }

                break;
            case Timing timing:
                var events = timing.EventElement
                    .Select(x => FhirDateRange.TryParse(x.Value, out var r) ? r : (FhirDateRange?)null)
                    .OfType<FhirDateRange>()
                    .ToList();
                if (events.Count > 0)
                {
                    values.Add(new DateIndexValue(id, events.Min(r => r.Low), events.Max(r => r.High)));
                }
                else if (timing.Repeat?.Bounds is Period bounds)
                {
                    AddDate(id, bounds, values);
                }

                break;
            case PrimitiveType primitive when FhirDateRange.TryParse(primitive.ToString(), out var range):
                values.Add(new DateIndexValue(id, range.Low, range.High));
                break;
        }
    }

    private static void AddQuantity(int id, Base element, List<IndexValue> values)
    {
        switch (element)
        {
            case Quantity { Value: { } value } quantity:
                var (low, high) = PrecisionRange(value);
                var canonical = UcumCanonicalizer.Canonical(value, quantity.System, quantity.Code);
                values.Add(new QuantityIndexValue(id, quantity.System, quantity.Code, quantity.Unit, value, low, high, canonical?.Code, canonical?.Value));
                break;
            case Money { Value: { } amount } money:
                var (mlow, mhigh) = PrecisionRange(amount);
                values.Add(new QuantityIndexValue(id, "urn:iso:std:iso:4217", money.Currency?.ToString(), null, amount, mlow, mhigh));
                break;
        }
    }

    private static decimal? NumberOf(Base element) => element switch
    {
        FhirDecimal { Value: { } d } => d,
        Integer { Value: { } i } => i,
        PositiveInt { Value: { } p } => p,
        UnsignedInt { Value: { } u } => u,
        Integer64 { Value: { } l } => l,
        Quantity { Value: { } q } => q,
        _ => null,
    };

    /// <summary>The range implied by the written precision: 100 means [99.5, 100.5), 1.50 means [1.495, 1.505).</summary>
    public static (decimal Low, decimal High) PrecisionRange(decimal value)
    {
        var scale = (value.Scale);
        var half = 0.5m / Pow10(scale);
        return (value - half, value + half);
    }

    private static decimal Pow10(int scale)
    {
        var result = 1m;
        for (var i = 0; i < scale; i++)
        {
            result *= 10;
        }

        return result;
    }

    internal static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The tuples of a composite parameter for one element: every combination of its components' values (bounded, as an
    /// element rarely has more than one value per component).
    /// </summary>
    private static void AddComposite(int id, (SearchParameterInfo Info, CompiledExpression Expression)[] components, Base node, ElementPath[] paths, List<IndexValue> values)
    {
        var tuples = new List<List<IndexValue>> { new() };
        for (var i = 0; i < components.Length; i++)
        {
            var componentValues = new List<IndexValue>();
            foreach (var element in paths[i].Select(node))
            {
                AddValues(components[i].Info, element, componentValues);
            }

            if (componentValues.Count == 0)
            {
                return;
            }

            tuples = tuples.SelectMany(t => componentValues.Select(v => new List<IndexValue>(t) { v })).Take(MaxCompositeTuples).ToList();
        }

        foreach (var tuple in tuples)
        {
            values.Add(new CompositeIndexValue(id, tuple));
        }
    }

    private static void AddComposite(CompiledParameter parameter, PocoNode node, FhirEvaluationContext context, List<IndexValue> values)
    {
        var tuples = new List<List<IndexValue>> { new() };
        foreach (var (info, expression) in parameter.Components)
        {
            var componentValues = new List<IndexValue>();
            try
            {
                foreach (var result in expression.Invoke([node], context))
                {
                    if (result.Poco is { } element)
                    {
                        AddValues(info, element, componentValues);
                    }
                }
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or InvalidCastException or NotSupportedException)
            {
                return;
            }

            if (componentValues.Count == 0)
            {
                return;
            }

            tuples = tuples.SelectMany(t => componentValues.Select(v => new List<IndexValue>(t) { v })).Take(MaxCompositeTuples).ToList();
        }

        foreach (var tuple in tuples)
        {
            values.Add(new CompositeIndexValue(parameter.Info.Id, tuple));
        }
    }

    private sealed class Plans(int version)
    {
        public int Version { get; } = version;

        public ConcurrentDictionary<string, CompiledParameter[]> ByType { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>
    /// The top-level elements an expression starts from (<c>Observation.code | (Observation.value as Quantity)</c> →
    /// code, value); null when that cannot be read off the text, and the parameter is then always evaluated.
    /// </summary>
    internal static string[]? RootElementsOf(SearchParameterInfo parameter)
    {
        var roots = new List<string>();
        foreach (var part in parameter.Expression.Split('|'))
        {
            var text = part.Trim().TrimStart('(').TrimStart();
            var prefix = parameter.ResourceType + ".";
            if (!text.StartsWith(prefix, StringComparison.Ordinal))
            {
                return null;
            }

            var rest = text[prefix.Length..];
            var end = rest.IndexOfAny(['.', ' ', ')', '(', '[']);
            var name = end < 0 ? rest : rest[..end];
            if (name.Length == 0 || !name.All(char.IsAsciiLetterOrDigit))
            {
                return null;
            }

            roots.Add(name);
        }

        return roots.Count == 0 ? null : [.. roots.Distinct(StringComparer.Ordinal)];
    }

    private sealed record CompiledParameter(SearchParameterInfo Info, CompiledExpression Expression, (SearchParameterInfo Info, CompiledExpression Expression)[] Components)
    {
        public string[]? RootElements { get; init; }

        /// <summary>Set when the expression (and every component's) can be walked without FHIRPath: see <see cref="ElementPath"/>.</summary>
        public ElementPath? Path { get; init; }

        public ElementPath[]? ComponentPaths { get; init; }
    }
}
