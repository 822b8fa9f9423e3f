using System.Collections.Concurrent;
using System.Reflection;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace Carelake.Tests.SearchOracle;

/// <summary>What the oracle expects a query to return.</summary>
/// <param name="Matches">The matches, ordered by the sort keys (then id) when the query sorts.</param>
/// <param name="Included">Resources added by _include/_revinclude that are not matches themselves.</param>
public sealed record OracleExpectation(
    string ResourceType,
    IReadOnlyList<Resource> Matches,
    IReadOnlyList<Resource> Included,
    IReadOnlyList<OracleSortKey> Sort,
    string? Summary,
    bool Total,
    IReadOnlyList<string>? Elements,
    int? Count);

public sealed record OracleSortKey(string Code, bool Descending);

/// <summary>A search parameter as the oracle reads it from the R4 definitions (or the Resource-level ones the SDK leaves out).</summary>
public sealed record OracleParam(string Code, SearchParamType Type, string Expression, IReadOnlyList<string> Targets, IReadOnlyList<SearchParamComponent> Components);

/// <summary>
/// The independent evaluator: every search parameter's FHIRPath expression from the R4 definitions, evaluated over every
/// resource in memory with the Firely FHIRPath engine (resolve() answers from the loaded data), and the R4 matching rules
/// of https://hl7.org/fhir/R4/search.html applied to what the expressions select. Nothing here calls the server's
/// search code.
/// </summary>
public sealed partial class SearchOracle(OracleData data)
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    /// <summary>R4 Patient compartment (CompartmentDefinition/patient) for the types in the test data.</summary>
    private static readonly Dictionary<string, string[]> PatientCompartment = new(StringComparer.Ordinal)
    {
        ["AllergyIntolerance"] = ["patient", "recorder", "asserter"],
        ["CarePlan"] = ["patient", "performer"],
        ["Claim"] = ["patient", "payee"],
        ["Condition"] = ["patient", "asserter"],
        ["DiagnosticReport"] = ["subject"],
        ["Encounter"] = ["patient"],
        ["ExplanationOfBenefit"] = ["patient", "payee"],
        ["Goal"] = ["patient"],
        ["ImagingStudy"] = ["patient"],
        ["Immunization"] = ["patient"],
        ["MedicationRequest"] = ["subject"],
        ["Observation"] = ["subject", "performer"],
        ["Procedure"] = ["patient", "performer"],
        ["Patient"] = ["link"],
    };

    private static readonly Dictionary<string, OracleParam> ResourceLevel = new(StringComparer.Ordinal)
    {
        ["_id"] = new("_id", SearchParamType.Token, "id", [], []),
        ["_lastUpdated"] = new("_lastUpdated", SearchParamType.Date, "meta.lastUpdated", [], []),
        ["_tag"] = new("_tag", SearchParamType.Token, "meta.tag", [], []),
        ["_security"] = new("_security", SearchParamType.Token, "meta.security", [], []),
        ["_profile"] = new("_profile", SearchParamType.Uri, "meta.profile", [], []),
        ["_source"] = new("_source", SearchParamType.Uri, "meta.source", [], []),
    };

    private readonly ConcurrentDictionary<string, CompiledExpression> _compiled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<PocoNode>> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Dictionary<string, List<Resource>>> _reverse = new(StringComparer.Ordinal);

    public OracleData Data => data;

    /// <summary>
    /// Fills a query template: {refof:Type:code:n} is the n-th (ordinal order) distinct reference that parameter
    /// <c>code</c> of the resources of Type holds; the other placeholders are <see cref="OracleData.Expand"/>'s.
    /// </summary>
    public string Expand(string template) => data.Expand(RefOf().Replace(template, m =>
    {
        var (type, code, n) = (m.Groups[1].Value, m.Groups[2].Value, int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
        var param = Param(type, code);
        var references = data.OfType(type).SelectMany(r => References(r, param)).Where(r => data.Resolve(r) is not null)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return references.Count == 0 ? throw new InvalidOperationException($"{m.Value}: no references.") : references[n % references.Count];
    }));

    /// <summary>The values of _lastUpdated: the server keeps meta.lastUpdated to the millisecond (and writes it without trailing zeros).</summary>
    private static OracleDate LastUpdated(Resource resource)
    {
        var ticks = resource.Meta!.LastUpdated!.Value.UtcTicks;
        return new OracleDate(ticks, ticks + TimeSpan.TicksPerMillisecond - 1);
    }

    public OracleExpectation Evaluate(string query)
    {
        var question = query.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? query : query[..question];
        var parameters = question < 0 ? [] : SplitParameters(query[(question + 1)..]);
        var segments = path.Split('/');
        var type = segments[^1];
        string? compartmentId = segments.Length == 3 && segments[0] == "Patient" ? segments[1] : null;

        var criteria = new List<(string Key, string Value)>();
        var sort = new List<OracleSortKey>();
        var includes = new List<(string Value, bool Iterate, bool Reverse)>();
        string? summary = null;
        var total = false;
        IReadOnlyList<string>? elements = null;
        int? count = null;
        var contained = "false";
        var containedType = "container";
        foreach (var (key, value) in parameters)
        {
            switch (key)
            {
                case "_count":
                    count = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "_sort":
                    sort.AddRange(value.Split(',').Select(s => s.StartsWith('-') ? new OracleSortKey(s[1..], true) : new OracleSortKey(s, false)));
                    break;
                case "_include" or "_include:iterate" or "_revinclude" or "_revinclude:iterate":
                    includes.Add((value, key.EndsWith(":iterate", StringComparison.Ordinal), key.StartsWith("_rev", StringComparison.Ordinal)));
                    break;
                case "_summary":
                    summary = value;
                    break;
                case "_total":
                    total = value is "accurate" or "estimate";
                    break;
                case "_elements":
                    elements = value.Split(',');
                    break;
                case "_format" or "_pretty":
                    break;
                case "_contained":
                    contained = value;
                    break;
                case "_containedType":
                    containedType = value;
                    break;
                default:
                    criteria.Add((key, value));
                    break;
            }
        }

        // _contained (R4 3.1.1.5.9): the criteria are tested on stored resources, contained ones, or both; matches
        // inside a container are returned as the container unless _containedType=contained.
        IEnumerable<Resource> candidates = contained switch
        {
            "true" => ContainedOfType(type),
            "both" => data.OfType(type).Concat(ContainedOfType(type)),
            _ => data.OfType(type),
        };
        var matches = candidates
            .Where(r => compartmentId is null || InPatientCompartment(r, compartmentId))
            .Where(r => criteria.All(c => Matches(r, c.Key, c.Value)))
            .ToList();
        if (contained != "false" && containedType == "container")
        {
            matches = matches.Select(r => IsContained(r) ? ContainerOf(r) : r).Distinct().ToList();
        }

        if (sort.Count > 0)
        {
            var comparer = SortComparer(sort, tieBreakOnId: true);
            matches.Sort(comparer);
        }

        var included = Include(matches, includes);
        return new OracleExpectation(type, matches, included, sort, summary, total, elements, count);
    }

    // ---------------------------------------------------------------- criteria

    public bool Matches(Resource resource, string key, string value)
    {
        if (key.StartsWith("_has:", StringComparison.Ordinal))
        {
            return Has(resource, key["_has:".Length..], value);
        }

        var dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var (linkCode, linkModifier) = SplitModifier(key[..dot]);
            var link = Param(resource.TypeName, linkCode);
            if (link.Type != SearchParamType.Reference)
            {
                throw new InvalidOperationException($"{key}: a chain needs a reference parameter.");
            }

            var rest = key[(dot + 1)..];
            var next = rest.StartsWith("_has:", StringComparison.Ordinal) ? null : SplitModifier(rest.Split('.')[0]).Code;
            return References(resource, link)
                .Select(r => r.StartsWith('#') ? ContainedById(resource, r[1..]) : data.Resolve(r))
                .OfType<Resource>()
                .Where(t => linkModifier is null || t.TypeName == linkModifier)
                .Where(t => next is null || TryParam(t.TypeName, next) is not null)
                .Any(t => Matches(t, rest, value));
        }

        var (code, modifier) = SplitModifier(key);
        if (code is "_text" or "_content")
        {
            return SplitUnescaped(value, ',').Any(v => FullTextMatches(resource, code == "_text", Unescape(v)));
        }

        if (code == "_list")
        {
            return SplitUnescaped(value, ',').Any(v => InList(resource, v));
        }

        var param = Param(resource.TypeName, code);
        if (modifier == "missing")
        {
            var hasValue = Values(resource, param).Count > 0;
            return value == "true" ? !hasValue : hasValue;
        }

        var alternatives = SplitUnescaped(value, ',');
        if (param.Type == SearchParamType.Token && modifier == "not")
        {
            return !alternatives.Any(v => MatchesValue(resource, param, null, v));
        }

        if (param.Type == SearchParamType.Token && modifier == "not-in")
        {
            return !alternatives.Any(v => MatchesValue(resource, param, "in", v));
        }

        if (modifier == "identifier")
        {
            return alternatives.Any(v => ReferenceIdentifiers(resource, param).Any(i => TokenMatches(i, v)));
        }

        if (modifier == "of-type")
        {
            return alternatives.Any(v => IdentifiersOfType(resource, param, v));
        }

        return alternatives.Any(v => MatchesValue(resource, param, modifier, v));
    }

    private bool MatchesValue(Resource resource, OracleParam param, string? modifier, string value)
    {
        if (param.Type == SearchParamType.Composite)
        {
            var parts = SplitUnescaped(value, '$', keepEmpty: true);
            return Nodes(resource, param).Any(node => param.Components.Select((component, i) =>
            {
                var definition = ByUrl(component.Definition);
                var values = Extract(definition.Type, Evaluate(component.Expression, [node]));
                return i < parts.Count && values.Any(v => MatchesOne(definition.Type, v, null, parts[i]));
            }).All(x => x));
        }

        return Values(resource, param).Any(v => MatchesOne(param.Type, v, modifier, value));
    }

    private bool MatchesOne(SearchParamType type, object target, string? modifier, string search)
    {
        switch (type)
        {
            case SearchParamType.String:
                var text = (string)target;
                search = Unescape(search);
                return modifier switch
                {
                    "exact" => string.Equals(text, search, StringComparison.Ordinal),
                    "contains" => OracleText.Fold(text).Contains(OracleText.Fold(search), StringComparison.Ordinal),
                    null => OracleText.Fold(text).StartsWith(OracleText.Fold(search), StringComparison.Ordinal),
                    _ => throw new InvalidOperationException($"Modifier :{modifier} on a string."),
                };
            case SearchParamType.Token:
                var token = (TokenValue)target;
                return modifier switch
                {
                    "text" => token.NonEmptyTexts.Any(t => OracleText.Fold(t).StartsWith(OracleText.Fold(Unescape(search)), StringComparison.Ordinal)),
                    null => TokenMatches(token, search),
                    "in" => InValueSet(token, Unescape(search)),
                    "below" => Subsumption(token, search, below: true),
                    "above" => Subsumption(token, search, below: false),
                    _ => throw new InvalidOperationException($"Modifier :{modifier} on a token."),
                };
            case SearchParamType.Reference:
                return ReferenceMatches((string)target, Unescape(search), modifier);
            case SearchParamType.Date:
                var (datePrefix, dateText) = SplitPrefix(search);
                var range = OracleDate.Parse(dateText) ?? throw new InvalidOperationException($"'{search}' is not a date.");
                return DateMatches(datePrefix, (OracleDate)target, range);
            case SearchParamType.Number:
                var (numberPrefix, numberText) = SplitPrefix(search);
                return NumberMatches(numberPrefix, (decimal)target, OracleNumber.Parse(numberText) ?? throw new InvalidOperationException($"'{search}' is not a number."));
            case SearchParamType.Quantity:
                return QuantityMatches((QuantityValue)target, search);
            case SearchParamType.Uri:
                return string.Equals((string)target, Unescape(search), StringComparison.Ordinal);
            default:
                throw new InvalidOperationException($"No matching rule for {type}.");
        }
    }

    private static bool TokenMatches(TokenValue token, string search)
    {
        var bar = IndexOfUnescaped(search, '|');
        if (bar < 0)
        {
            return token.Code == Unescape(search);
        }

        var system = Unescape(search[..bar]);
        var code = Unescape(search[(bar + 1)..]);
        if (system.Length == 0)
        {
            return token.System is null && token.Code == code;
        }

        return token.System == system && (code.Length == 0 || token.Code == code);
    }

    private bool ReferenceMatches(string reference, string search, string? typeModifier)
    {
        var target = OracleReference.Parse(reference, data.BaseUrl);
        if (search.Contains("://", StringComparison.Ordinal) && !search.StartsWith(data.BaseUrl + "/", StringComparison.Ordinal))
        {
            // R4 2.1.0.5 / 3.1.1.4.7: a canonical url|version; without a version every version of the url matches.
            return search.Contains('|', StringComparison.Ordinal)
                ? string.Equals(reference, search, StringComparison.Ordinal)
                : string.Equals(reference.Split('|')[0], search, StringComparison.Ordinal);
        }

        if (search.StartsWith(data.BaseUrl + "/", StringComparison.Ordinal))
        {
            search = search[(data.BaseUrl.Length + 1)..];
        }

        if (!target.IsLocal)
        {
            return false;
        }

        var slash = search.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var parsed = OracleReference.Parse(search, data.BaseUrl);
            return target.Type == parsed.Type && target.Id == parsed.Id && (typeModifier is null || typeModifier == target.Type);
        }

        return target.Id == search && (typeModifier is null || typeModifier == target.Type);
    }

    public static bool DateMatches(string prefix, OracleDate target, OracleDate search)
    {
        var eq = target.Low >= search.Low && target.High <= search.High;
        switch (prefix)
        {
            case "eq":
                return eq;
            case "ne":
                return !eq;
            case "gt":
                return target.High > search.High;
            case "lt":
                return target.Low < search.Low;
            case "ge":
                return target.High > search.High || eq;
            case "le":
                return target.Low < search.Low || eq;
            case "sa":
                return target.Low > search.High;
            case "eb":
                return target.High < search.Low;
            case "ap":
                // R4 3.1.1.4.1: approximately, 10% of the gap between now and the value.
                var mid = (search.Low / 2) + (search.High / 2);
                var widen = (long)(Math.Abs(DateTime.UtcNow.Ticks - mid) * 0.1);
                return target.Low <= search.High + widen && target.High >= search.Low - widen;
            default:
                throw new InvalidOperationException($"Prefix {prefix}.");
        }
    }

    public static bool NumberMatches(string prefix, decimal target, OracleNumber search) => prefix switch
    {
        "eq" => target >= search.Low && target < search.High,
        "ne" => !(target >= search.Low && target < search.High),
        "gt" or "sa" => target > search.Value,
        "lt" or "eb" => target < search.Value,
        "ge" => target >= search.Value,
        "le" => target <= search.Value,
        "ap" => Math.Abs(target - search.Value) <= Math.Abs(search.Value) * 0.1m,
        _ => throw new InvalidOperationException($"Prefix {prefix}."),
    };

    private static bool QuantityMatches(QuantityValue target, string search)
    {
        var parts = SplitUnescaped(search, '|', keepEmpty: true).Select(Unescape).ToList();
        var (prefix, numberText) = SplitPrefix(parts[0]);
        var number = OracleNumber.Parse(numberText) ?? throw new InvalidOperationException($"'{search}' is not a quantity.");
        var system = parts.Count > 1 && parts[1].Length > 0 ? parts[1] : null;
        var code = parts.Count > 2 && parts[2].Length > 0 ? parts[2] : null;

        if (system == OracleUcum.System && code is not null && target.System == OracleUcum.System
            && OracleUcum.Canonical(code) is { } s && OracleUcum.Canonical(target.Code) is { } t && s.Dimension == t.Dimension)
        {
            var scaled = new OracleNumber(number.Value * s.Factor, number.Low * s.Factor, number.High * s.Factor);
            return NumberMatches(prefix, target.Value * t.Factor, scaled);
        }

        if (system is not null && target.System != system)
        {
            return false;
        }

        if (code is not null && !(target.Code == code || (system is null && target.Unit == code)))
        {
            return false;
        }

        return NumberMatches(prefix, target.Value, number);
    }

    private bool Has(Resource resource, string rest, string value)
    {
        var parts = rest.Split(':', 3);
        var (sourceType, referenceCode, criterion) = (parts[0], parts[1], parts[2]);
        var index = _reverse.GetOrAdd(sourceType + ":" + referenceCode, _ => ReverseIndex(sourceType, referenceCode));
        return index.TryGetValue(OracleData.Key(resource), out var sources) && sources.Any(s => Matches(s, criterion, value));
    }

    /// <summary>Target "Type/id" to the resources of <paramref name="sourceType"/> whose parameter refers to it.</summary>
    private Dictionary<string, List<Resource>> ReverseIndex(string sourceType, string referenceCode)
    {
        var index = new Dictionary<string, List<Resource>>(StringComparer.Ordinal);
        foreach (var source in data.OfType(sourceType))
        {
            foreach (var target in References(source, Param(sourceType, referenceCode)).Select(data.Resolve).OfType<Resource>().Distinct())
            {
                var key = OracleData.Key(target);
                if (!index.TryGetValue(key, out var list))
                {
                    index[key] = list = [];
                }

                list.Add(source);
            }
        }

        return index;
    }

    private bool InPatientCompartment(Resource resource, string patientId)
    {
        if (resource.TypeName == "Patient" && resource.Id == patientId)
        {
            return true;
        }

        return PatientCompartment.TryGetValue(resource.TypeName, out var codes)
            && codes.Any(code => TryParam(resource.TypeName, code) is { } p && References(resource, p).Any(r => ReferenceMatches(r, "Patient/" + patientId, null)));
    }

    // ---------------------------------------------------------------- _include, _revinclude

    private List<Resource> Include(List<Resource> matches, List<(string Value, bool Iterate, bool Reverse)> includes)
    {
        if (includes.Count == 0)
        {
            return [];
        }

        var seen = new HashSet<string>(matches.Select(OracleData.Key), StringComparer.Ordinal);
        var included = new List<Resource>();

        void Add(IEnumerable<Resource> found, List<Resource> added)
        {
            foreach (var resource in found)
            {
                if (seen.Add(OracleData.Key(resource)))
                {
                    included.Add(resource);
                    added.Add(resource);
                }
            }
        }

        IEnumerable<Resource> Apply((string Value, bool Iterate, bool Reverse) include, IReadOnlyList<Resource> sources)
        {
            var parts = include.Value.Split(':');
            if (include.Value == "*")
            {
                return sources.SelectMany(s => AllReferenceParams(s.TypeName).SelectMany(p => References(s, p))).Select(data.Resolve).OfType<Resource>();
            }

            var (type, code, targetType) = (parts[0], parts[1], parts.Length > 2 ? parts[2] : null);
            if (!include.Reverse)
            {
                var parameters = code == "*" ? AllReferenceParams(type) : [Param(type, code)];
                return sources.Where(s => s.TypeName == type)
                    .SelectMany(s => parameters.SelectMany(p => References(s, p)))
                    .Select(data.Resolve)
                    .OfType<Resource>()
                    .Where(t => targetType is null || t.TypeName == targetType);
            }

            var sourceKeys = sources.Where(s => targetType is null || s.TypeName == targetType).Select(OracleData.Key).ToHashSet(StringComparer.Ordinal);
            var reverseParameters = code == "*" ? AllReferenceParams(type) : [Param(type, code)];
            return data.OfType(type).Where(candidate => reverseParameters.Any(p => References(candidate, p)
                .Select(data.Resolve).OfType<Resource>().Any(t => sourceKeys.Contains(OracleData.Key(t)))));
        }

        var firstRound = new List<Resource>();
        foreach (var include in includes)
        {
            Add(Apply(include, matches), firstRound);
        }

        var iterating = includes.Where(i => i.Iterate).ToList();
        var frontier = firstRound;
        while (iterating.Count > 0 && frontier.Count > 0)
        {
            var next = new List<Resource>();
            foreach (var include in iterating)
            {
                Add(Apply(include, frontier), next);
            }

            frontier = next;
        }

        return included;
    }

    private static List<OracleParam> AllReferenceParams(string type) =>
        ModelInfo.SearchParameters.Where(d => d.Resource == type && d.Type == SearchParamType.Reference && d.Code is not null)
            .Select(d => Param(type, d.Code!))
            .ToList();

    // ---------------------------------------------------------------- sorting

    /// <param name="nullsFirst">Where resources without a value go: R4 leaves it open, so the order check accepts either.</param>
    public IComparer<Resource> SortComparer(IReadOnlyList<OracleSortKey> keys, bool tieBreakOnId, bool nullsFirst = false) => Comparer<Resource>.Create((a, b) =>
    {
        foreach (var key in keys)
        {
            var c = CompareKey(SortValue(a, key), SortValue(b, key), key.Descending, nullsFirst);
            if (c != 0)
            {
                return c;
            }
        }

        return tieBreakOnId ? string.CompareOrdinal(a.Id, b.Id) : 0;
    });

    /// <summary>The value a resource sorts by: the lowest of its values ascending, the highest descending (R4 3.1.1.4.x _sort).</summary>
    public IComparable? SortValue(Resource resource, OracleSortKey key)
    {
        var param = Param(resource.TypeName, key.Code);
        var values = Values(resource, param);
        if (values.Count == 0)
        {
            return null;
        }

        IEnumerable<IComparable> keys = param.Type switch
        {
            SearchParamType.String => values.Cast<string>().Select(OracleText.Fold),
            SearchParamType.Token => values.Cast<TokenValue>().Where(t => t.Code is not null).Select(t => t.Code!),
            SearchParamType.Date => values.Cast<OracleDate>().Select(d => (IComparable)(key.Descending ? d.High : d.Low)),
            SearchParamType.Number => values.Cast<decimal>().Cast<IComparable>(),
            SearchParamType.Quantity => values.Cast<QuantityValue>().Select(q => (IComparable)q.Value),
            SearchParamType.Reference or SearchParamType.Uri => values.Cast<string>(),
            _ => [],
        };
        var list = keys.ToList();
        if (list.Count == 0)
        {
            return null;
        }

        return key.Descending ? list.Max(OrdinalComparer.Instance) : list.Min(OrdinalComparer.Instance);
    }

    /// <summary>Missing values sort last (or first) in either direction.</summary>
    public static int CompareKey(IComparable? a, IComparable? b, bool descending, bool nullsFirst = false)
    {
        if (a is null || b is null)
        {
            var last = a is null && b is null ? 0 : a is null ? 1 : -1;
            return nullsFirst ? -last : last;
        }

        var c = OrdinalComparer.Instance.Compare(a, b);
        return descending ? -c : c;
    }

    private sealed class OrdinalComparer : IComparer<IComparable>
    {
        public static readonly OrdinalComparer Instance = new();

        public int Compare(IComparable? x, IComparable? y) =>
            x is string sx && y is string sy ? string.CompareOrdinal(sx, sy) : Comparer<IComparable>.Default.Compare(x!, y!);
    }

    // ---------------------------------------------------------------- parameter values

    public static OracleParam Param(string type, string code) =>
        TryParam(type, code) ?? throw new InvalidOperationException($"No R4 search parameter '{code}' on {type}.");

    public static OracleParam? TryParam(string type, string code)
    {
        if (ResourceLevel.TryGetValue(code, out var common))
        {
            return common;
        }

        var definition = ModelInfo.SearchParameters.FirstOrDefault(d => d.Resource == type && d.Code == code)
            ?? ModelInfo.SearchParameters.FirstOrDefault(d => d.Resource is "DomainResource" or "Resource" && d.Code == code);
        return definition is null
            ? null
            : new OracleParam(code, definition.Type, definition.Expression ?? string.Empty, definition.Target?.Select(t => t.ToString()).ToArray() ?? [], definition.Component ?? []);
    }

    private static OracleParam ByUrl(string url)
    {
        var definition = ModelInfo.SearchParameters.First(d => d.Url == url);
        return new OracleParam(definition.Code!, definition.Type, definition.Expression ?? string.Empty, [], definition.Component ?? []);
    }

    /// <summary>The values of a parameter for a resource, in the shape its kind compares (string, TokenValue, OracleDate…).</summary>
    public IReadOnlyList<object> Values(Resource resource, OracleParam param) =>
        param.Code == "_lastUpdated" ? [LastUpdated(resource)] : Extract(param.Type, Nodes(resource, param));

    private IReadOnlyList<PocoNode> Nodes(Resource resource, OracleParam param) =>
        IsContained(resource)
            ? Evaluate(param.Expression, [resource.ToPocoNode(ModelInfo.ModelInspector)])
            : _nodes.GetOrAdd(OracleData.Key(resource) + "|" + param.Code, _ => Evaluate(param.Expression, [data.NodeOf(resource)]));

    private List<string> References(Resource resource, OracleParam param) => Values(resource, param).Cast<string>().ToList();

    private List<PocoNode> Evaluate(string expression, IEnumerable<PocoNode> focus)
    {
        var compiled = _compiled.GetOrAdd(expression, e => Compiler.Compile(e));
        var context = new FhirEvaluationContext
        {
            ElementResolver = url => data.Resolve(url) is { } target ? data.NodeOf(target) : null!,
        };
        return compiled.Invoke(focus, context).ToList();
    }

    private static List<object> Extract(SearchParamType type, IEnumerable<PocoNode> nodes)
    {
        var values = new List<object>();
        foreach (var node in nodes)
        {
            if (node.Poco is not { } element)
            {
                continue;
            }

            switch (type)
            {
                case SearchParamType.String:
                    values.AddRange(Strings(element).OfType<string>().Where(s => s.Length > 0));
                    break;
                case SearchParamType.Token:
                    values.AddRange(Tokens(element));
                    break;
                case SearchParamType.Reference:
                    var reference = element switch
                    {
                        ResourceReference r => r.Reference,
                        PrimitiveType p => p.JsonValue as string,
                        _ => null,
                    };
                    if (!string.IsNullOrEmpty(reference))
                    {
                        values.Add(reference);
                    }

                    break;
                case SearchParamType.Date:
                    if (Date(element) is { } date)
                    {
                        values.Add(date);
                    }

                    break;
                case SearchParamType.Number:
                    decimal? number = element switch
                    {
                        FhirDecimal { Value: { } d } => d,
                        Integer { Value: { } i } => i,
                        PositiveInt { Value: { } i } => i,
                        UnsignedInt { Value: { } i } => i,
                        Integer64 { Value: { } l } => l,
                        _ => null,
                    };
                    if (number is { } n)
                    {
                        values.Add(n);
                    }

                    break;
                case SearchParamType.Quantity:
                    if (element is Quantity { Value: { } q } quantity)
                    {
                        values.Add(new QuantityValue(q, quantity.System, quantity.Code, quantity.Unit));
                    }
                    else if (element is Money { Value: { } amount } money)
                    {
                        values.Add(new QuantityValue(amount, "urn:iso:std:iso:4217", money.Currency?.ToString(), null));
                    }

                    break;
                case SearchParamType.Uri:
                    if (element is PrimitiveType { JsonValue: string uri })
                    {
                        values.Add(uri);
                    }

                    break;
                case SearchParamType.Composite:
                    values.Add(element);
                    break;
            }
        }

        return values;
    }

    private static IEnumerable<string?> Strings(Base element) => element switch
    {
        HumanName n => [n.Family, .. n.Given, .. n.Prefix, .. n.Suffix, n.Text],
        Address a => [.. a.Line, a.City, a.District, a.State, a.PostalCode, a.Country, a.Text],
        PrimitiveType p => [p.JsonValue as string ?? p.ToString()],
        _ => [],
    };

    private static IEnumerable<TokenValue> Tokens(Base element)
    {
        switch (element)
        {
            case Coding coding:
                yield return new TokenValue(coding.System, coding.Code, [coding.Display]);
                break;
            case CodeableConcept concept:
                foreach (var coding in concept.Coding)
                {
                    yield return new TokenValue(coding.System, coding.Code, [coding.Display, concept.Text]);
                }

                if (concept.Coding.Count == 0 && concept.Text is not null)
                {
                    yield return new TokenValue(null, null, [concept.Text]);
                }

                break;
            case Identifier identifier:
                yield return new TokenValue(identifier.System, identifier.Value, [identifier.Type?.Text]);
                break;
            case ContactPoint contact:
                yield return new TokenValue(null, contact.Value, []);
                break;
            case FhirBoolean { Value: { } flag }:
                yield return new TokenValue(null, flag ? "true" : "false", []);
                break;
            case PrimitiveType primitive when primitive.JsonValue is not null:
                yield return new TokenValue(ImplicitSystem(primitive), primitive.ToString(), []);
                break;
        }
    }

    /// <summary>The code system of a code bound to a required value set, read from the SDK enum's literal attribute.</summary>
    private static string? ImplicitSystem(PrimitiveType primitive)
    {
        var type = primitive.GetType();
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Code<>))
        {
            return null;
        }

        var value = type.GetProperty("Value", BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)?.GetValue(primitive);
        if (value is not Enum e)
        {
            return null;
        }

        var literal = e.GetType().GetField(e.ToString())?.GetCustomAttribute<EnumLiteralAttribute>()?.System;
        return string.IsNullOrEmpty(literal) ? e.GetType().GetCustomAttribute<FhirEnumerationAttribute>()?.DefaultCodeSystem : literal;
    }

    private static OracleDate? Date(Base element)
    {
        switch (element)
        {
            case Period period:
                var start = OracleDate.Parse(period.Start);
                var end = OracleDate.Parse(period.End);
                return start is null && end is null ? null : new OracleDate(start?.Low ?? OracleDate.Min, end?.High ?? OracleDate.Max);
            case Timing timing:
                var events = timing.EventElement.Select(e => OracleDate.Parse(e.Value)).OfType<OracleDate>().ToList();
                if (events.Count > 0)
                {
                    return new OracleDate(events.Min(e => e.Low), events.Max(e => e.High));
                }

                return timing.Repeat?.Bounds is Period bounds ? Date(bounds) : null;
            case PrimitiveType { JsonValue: string text }:
                return OracleDate.Parse(text);
            default:
                return null;
        }
    }

    // ---------------------------------------------------------------- syntax

    [System.Text.RegularExpressions.GeneratedRegex(@"\{refof:(\w+):([\w-]+):(\d+)\}")]
    private static partial System.Text.RegularExpressions.Regex RefOf();


    private static List<(string Key, string Value)> SplitParameters(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.IndexOf('=', StringComparison.Ordinal) is var i and >= 0 ? (p[..i], p[(i + 1)..]) : (p, string.Empty))
            .ToList();

    private static (string Code, string? Modifier) SplitModifier(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (key, null) : (key[..colon], key[(colon + 1)..]);
    }

    private static (string Prefix, string Value) SplitPrefix(string value) =>
        value.Length > 2 && value[..2] is "eq" or "ne" or "gt" or "lt" or "ge" or "le" or "sa" or "eb" or "ap" ? (value[..2], value[2..]) : ("eq", value);

    /// <summary>Splits on separators not escaped with a backslash; the parts keep their escapes.</summary>
    private static List<string> SplitUnescaped(string value, char separator, bool keepEmpty = false)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i <= value.Length; i++)
        {
            if (i < value.Length && value[i] == '\\')
            {
                i++;
                continue;
            }

            if (i == value.Length || value[i] == separator)
            {
                var part = value[start..i];
                if (part.Length > 0 || keepEmpty)
                {
                    parts.Add(part);
                }

                start = i + 1;
            }
        }

        return parts;
    }

    private static int IndexOfUnescaped(string value, char c)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\')
            {
                i++;
            }
            else if (value[i] == c)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Unescape(string value) =>
        value.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\|", "|", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}

/// <param name="Texts">Display and text, for :text.</param>
public sealed record TokenValue(string? System, string? Code, IReadOnlyList<string?> Texts)
{
    public IEnumerable<string> NonEmptyTexts => Texts.Where(t => !string.IsNullOrEmpty(t))!;
}

public sealed record QuantityValue(decimal Value, string? System, string? Code, string? Unit);
