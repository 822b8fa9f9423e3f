using System.Globalization;
using System.Text;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>Turns FHIR search parameters (query string or form body) into a <see cref="SearchQuery"/>.</summary>
public sealed class SearchQueryParser(SearchParameterRegistry registry, int defaultCount = 20, int maxCount = 1000)
{
    public SearchParameterRegistry Registry => registry;

    /// <summary>Parameters handled by the HTTP layer, never reported as unknown.</summary>
    private static readonly HashSet<string> HttpParameters = new(StringComparer.Ordinal) { "_format", "_pretty" };

    public SearchParseResult Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> parameters, bool strict, string? localBase = null)
    {
        var criteria = new List<SearchCriterion>();
        var ignored = new List<string>();
        var used = new List<KeyValuePair<string, string>>();
        var sort = new List<SortClause>();
        var includes = new List<IncludeSpec>();
        var revIncludes = new List<IncludeSpec>();
        var count = defaultCount;
        string? cursor = null;
        var total = false;
        var countOnly = false;
        var types = new List<string>();
        var contained = ContainedSearch.No;
        var returnContained = false;

        foreach (var (key, value) in parameters)
        {
            if (HttpParameters.Contains(key))
            {
                used.Add(new(key, value));
                continue;
            }

            switch (key)
            {
                case "_count":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 0)
                    {
                        throw FhirException.BadRequest($"_count must be a non-negative integer, not '{value}'.");
                    }

                    count = Math.Min(count, maxCount);
                    used.Add(new(key, value));
                    continue;
                case "_cursor":
                    cursor = value;
                    continue;
                case "_type" when resourceType == "Resource":
                    foreach (var type in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        types.Add(ResourceTypes.IsKnown(type) ? type : throw FhirException.BadRequest($"_type: '{type}' is not a resource type."));
                    }

                    used.Add(new(key, value));
                    continue;
                case "_total":
                    total = value switch
                    {
                        "accurate" or "estimate" => true,
                        "none" => false,
                        _ => throw FhirException.BadRequest($"_total takes none, estimate or accurate, not '{value}'."),
                    };
                    used.Add(new(key, value));
                    continue;
                case "_summary":
                    countOnly = value == "count";
                    used.Add(new(key, value));
                    continue;
                case "_elements":
                    used.Add(new(key, value));
                    continue;
                case "_contained":
                    contained = value switch
                    {
                        "false" => ContainedSearch.No,
                        "true" => ContainedSearch.Only,
                        "both" => ContainedSearch.Both,
                        _ => throw FhirException.BadRequest($"_contained takes true, false or both, not '{value}'."),
                    };
                    used.Add(new(key, value));
                    continue;
                case "_containedType":
                    returnContained = value switch
                    {
                        "container" => false,
                        "contained" => true,
                        _ => throw FhirException.BadRequest($"_containedType takes container or contained, not '{value}'."),
                    };
                    used.Add(new(key, value));
                    continue;
                case "_sort":
                    sort.AddRange(ParseSort(resourceType, value, strict, ignored));
                    used.Add(new(key, value));
                    continue;
                case "_include" or "_include:iterate" or "_include:recurse":
                    includes.AddRange(ParseInclude(value, key != "_include", reverse: false, resourceType, strict, ignored));
                    used.Add(new(key, value));
                    continue;
                case "_revinclude" or "_revinclude:iterate" or "_revinclude:recurse":
                    revIncludes.AddRange(ParseInclude(value, key != "_revinclude", reverse: true, resourceType, strict, ignored));
                    used.Add(new(key, value));
                    continue;
            }

            if (SplitOr(value).Count == 0)
            {
                // R4 3.1.1.5: a parameter without a value is ignored.
                continue;
            }

            var criterion = ParseParameter(resourceType, key, value, strict, depth: 0, localBase);
            if (criterion is null)
            {
                ignored.Add(key);
                continue;
            }

            criteria.Add(criterion);
            used.Add(new(key, value));
        }

        if (contained != ContainedSearch.No && sort.Count > 0)
        {
            throw FhirException.NotSupported("_sort cannot be combined with _contained: contained resources have no order of their own.");
        }

        if (countOnly || count == 0)
        {
            // _summary=count and _count=0 both ask for the number of matches only.
            total = true;
        }

        var query = new SearchQuery
        {
            ResourceType = resourceType,
            Criteria = criteria,
            Count = countOnly ? 0 : count,
            Cursor = cursor,
            IncludeTotal = total,
            Sort = sort,
            Includes = includes,
            RevIncludes = revIncludes,
            CountOnly = countOnly,
            Types = types,
            Contained = contained,
            ReturnContained = returnContained && contained != ContainedSearch.No,
        };
        return new SearchParseResult(query, used, ignored);
    }

    /// <summary>
    /// One parameter, possibly chained (<c>subject:Patient.name</c>) or reverse-chained (<c>_has:Observation:patient:code</c>).
    /// Returns null for an unknown parameter in lenient mode.
    /// </summary>
    private SearchCriterion? ParseParameter(string resourceType, string key, string value, bool strict, int depth, string? localBase)
    {
        if (depth > 4)
        {
            throw FhirException.BadRequest($"'{key}' chains more than four levels deep.");
        }

        if (key.StartsWith("_has:", StringComparison.Ordinal))
        {
            return ParseHas(resourceType, key, value, strict, depth, localBase);
        }

        var dot = key.IndexOf('.', StringComparison.Ordinal);
        var head = dot < 0 ? key : key[..dot];
        var colon = head.IndexOf(':', StringComparison.Ordinal);
        var code = colon < 0 ? head : head[..colon];
        var modifierText = colon < 0 ? null : head[(colon + 1)..];

        if (dot >= 0)
        {
            return ParseChain(resourceType, key, code, modifierText, key[(dot + 1)..], value, strict, depth, localBase);
        }

        if (code is "_id" or "_lastUpdated")
        {
            return ParseColumnCriterion(code, modifierText, value);
        }

        if (code is "_text" or "_content" && modifierText is null)
        {
            return new SearchCriterion(code, null, SearchModifier.None, SplitOr(value).Select(v => (SearchValue)new StringSearchValue(v, v)).ToList());
        }

        if (code == "_list" && modifierText is null && registry.TryGet("List", "item", out var listItem))
        {
            // Members of the given List resources (R4 3.1.1.5.10); functional lists ($current-…) are not supported.
            var ids = SplitOr(value);
            return ids.All(ResourceIds.IsValid)
                ? new SearchCriterion("_list", listItem, SearchModifier.None, ids.Select(id => (SearchValue)new TokenSearchValue(null, id)).ToList())
                : throw FhirException.BadRequest($"_list takes List ids; '{value}' is not one.");
        }

        if (!registry.TryGet(resourceType, code, out var parameter))
        {
            return strict
                ? throw new FhirException(400, OperationOutcome.IssueType.NotSupported, $"Unknown or unsupported search parameter '{key}' for {resourceType}.")
                : null;
        }

        return ParseCriterion(parameter, modifierText, value, key, localBase);
    }

    private SearchCriterion? ParseChain(string resourceType, string key, string code, string? typeModifier, string rest, string value, bool strict, int depth, string? localBase)
    {
        if (!registry.TryGet(resourceType, code, out var reference) || reference.Type != SearchParamType.Reference)
        {
            return strict || registry.TryGet(resourceType, code, out _)
                ? throw FhirException.BadRequest($"'{key}': only reference parameters can be chained, and '{code}' is not one of {resourceType}.")
                : null;
        }

        if (typeModifier is not null && !ResourceTypes.IsKnown(typeModifier))
        {
            throw FhirException.BadRequest($"'{key}': '{typeModifier}' is not a resource type.");
        }

        IEnumerable<string> candidates = typeModifier is not null ? [typeModifier]
            : reference.TargetTypes.Count > 0 ? reference.TargetTypes
            : ResourceTypes.All;
        var chains = new List<ChainedCriterion>();
        foreach (var target in candidates)
        {
            if (!IsChainable(target, rest))
            {
                continue;
            }

            if (ParseParameter(target, rest, value, strict: true, depth + 1, localBase) is { } inner)
            {
                chains.Add(new ChainedCriterion(reference, [target], inner));
            }
        }

        if (chains.Count == 0)
        {
            return strict
                ? throw FhirException.BadRequest($"'{key}': no target type of '{code}' has a search parameter '{rest}'.")
                : null;
        }

        return new SearchCriterion(key, reference, SearchModifier.None, []) { Chain = chains };
    }

    private bool IsChainable(string type, string rest)
    {
        var end = rest.IndexOfAny(['.', ':']);
        var code = end < 0 ? rest : rest[..end];
        return code is "_id" or "_lastUpdated" || code.StartsWith("_has", StringComparison.Ordinal) || registry.TryGet(type, code, out _);
    }

    private SearchCriterion? ParseHas(string resourceType, string key, string value, bool strict, int depth, string? localBase)
    {
        // _has:Observation:patient:code  — the last segment may itself be another _has.
        var parts = key.Split(':', 4);
        if (parts.Length < 4)
        {
            throw FhirException.BadRequest($"'{key}' is not a valid _has (expected _has:Type:reference:parameter).");
        }

        var sourceType = parts[1];
        if (!ResourceTypes.IsKnown(sourceType))
        {
            throw FhirException.BadRequest($"'{key}': '{sourceType}' is not a resource type.");
        }

        if (!registry.TryGet(sourceType, parts[2], out var reference) || reference.Type != SearchParamType.Reference)
        {
            throw FhirException.BadRequest($"'{key}': '{parts[2]}' is not a reference parameter of {sourceType}.");
        }

        var inner = ParseParameter(sourceType, parts[3], value, strict: true, depth + 1, localBase)
            ?? throw FhirException.BadRequest($"'{key}': unknown parameter '{parts[3]}' of {sourceType}.");
        return new SearchCriterion(key, null, SearchModifier.None, []) { Has = new ReverseChainedCriterion(sourceType, reference, inner) };
    }

    private IEnumerable<SortClause> ParseSort(string resourceType, string value, bool strict, List<string> ignored)
    {
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var descending = part.StartsWith('-');
            var code = descending ? part[1..] : part;
            if (code is "_id" or "_lastUpdated")
            {
                yield return new SortClause(code, null, descending);
            }
            else if (registry.TryGet(resourceType, code, out var parameter) && parameter.Type is not SearchParamType.Composite)
            {
                yield return new SortClause(code, parameter, descending);
            }
            else if (strict)
            {
                throw FhirException.BadRequest($"_sort: '{code}' is not a search parameter of {resourceType}.");
            }
            else
            {
                ignored.Add("_sort=" + part);
            }
        }
    }

    private IEnumerable<IncludeSpec> ParseInclude(string value, bool iterate, bool reverse, string resourceType, bool strict, List<string> ignored)
    {
        var name = reverse ? "_revinclude" : "_include";
        if (value == "*")
        {
            yield return new IncludeSpec(reverse ? "*" : resourceType, null, null, iterate);
            yield break;
        }

        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || !ResourceTypes.IsKnown(parts[0]))
        {
            throw FhirException.BadRequest($"{name}={value}: expected SourceType:parameter[:TargetType] or *.");
        }

        string? target = parts.Length == 3 ? parts[2] : null;
        if (target is not null && !ResourceTypes.IsKnown(target))
        {
            throw FhirException.BadRequest($"{name}={value}: '{target}' is not a resource type.");
        }

        if (parts[1] == "*")
        {
            yield return new IncludeSpec(parts[0], null, target, iterate);
            yield break;
        }

        if (!registry.TryGet(parts[0], parts[1], out var parameter) || parameter.Type != SearchParamType.Reference)
        {
            if (strict)
            {
                throw FhirException.BadRequest($"{name}={value}: '{parts[1]}' is not a reference parameter of {parts[0]}.");
            }

            ignored.Add($"{name}={value}");
            yield break;
        }

        yield return new IncludeSpec(parts[0], parameter, target, iterate);
    }

    private static SearchCriterion ParseColumnCriterion(string code, string? modifierText, string value)
    {
        if (modifierText is "missing")
        {
            return new SearchCriterion(code, null, SearchModifier.Missing, [new MissingSearchValue(ParseBoolean(value, code))]);
        }

        if (modifierText is not null && !(code == "_id" && modifierText == "not"))
        {
            throw FhirException.NotSupported($"Modifier ':{modifierText}' is not supported on {code}.");
        }

        var modifier = modifierText == "not" ? SearchModifier.Not : SearchModifier.None;
        var values = SplitOr(value)
            .Select(v => code == "_id" ? (SearchValue)new TokenSearchValue(null, v) : ParseDate(v, code))
            .ToArray();
        return new SearchCriterion(code, null, modifier, values);
    }

    private static SearchCriterion ParseCriterion(SearchParameterInfo parameter, string? modifierText, string value, string key, string? localBase)
    {
        var modifier = ParseModifier(parameter, modifierText, key, out var typeModifier);
        if (modifier == SearchModifier.Missing)
        {
            return new SearchCriterion(parameter.Code, parameter, modifier, [new MissingSearchValue(ParseBoolean(value, key))]);
        }

        var values = new List<SearchValue>();
        foreach (var part in SplitOr(value))
        {
            values.Add(parameter.Type switch
            {
                SearchParamType.String => new StringSearchValue(TextNormalizer.Normalize(part), part),
                SearchParamType.Token when modifier == SearchModifier.Text => new StringSearchValue(TextNormalizer.Normalize(part), part),
                SearchParamType.Token when modifier == SearchModifier.OfType => ParseOfType(part, key),
                SearchParamType.Token when modifier is SearchModifier.In or SearchModifier.NotIn => new ValueSetSearchValue(part),
                SearchParamType.Reference when modifier == SearchModifier.Identifier => ParseToken(part),
                SearchParamType.Token => ParseToken(part),
                SearchParamType.Reference => ParseReference(part, typeModifier, localBase),
                SearchParamType.Date => ParseDate(part, key),
                SearchParamType.Number => ParseNumber(part, key),
                SearchParamType.Quantity => ParseQuantity(part, key),
                SearchParamType.Uri => new UriSearchValue(part),
                SearchParamType.Composite => ParseComposite(parameter, part, key),
                _ => throw FhirException.NotSupported($"Search parameter '{key}' of type {parameter.Type} is not supported yet."),
            });
        }

        return new SearchCriterion(parameter.Code, parameter, modifier, values, typeModifier);
    }

    private static SearchModifier ParseModifier(SearchParameterInfo parameter, string? text, string key, out string? typeModifier)
    {
        typeModifier = null;
        if (text is null)
        {
            return SearchModifier.None;
        }

        if (text == "missing")
        {
            return SearchModifier.Missing;
        }

        var modifier = (parameter.Type, text) switch
        {
            (SearchParamType.String, "exact") => SearchModifier.Exact,
            (SearchParamType.String, "contains") => SearchModifier.Contains,
            (SearchParamType.Token, "not") => SearchModifier.Not,
            (SearchParamType.Token, "text") => SearchModifier.Text,
            (SearchParamType.Token, "of-type") => SearchModifier.OfType,
            (SearchParamType.Token, "in") => SearchModifier.In,
            (SearchParamType.Token, "not-in") => SearchModifier.NotIn,
            (SearchParamType.Token, "above") => SearchModifier.Above,
            (SearchParamType.Token, "below") => SearchModifier.Below,
            (SearchParamType.Reference, "identifier") => SearchModifier.Identifier,
            (SearchParamType.Uri, "above") => SearchModifier.Above,
            (SearchParamType.Uri, "below") => SearchModifier.Below,
            (SearchParamType.Reference, _) when ResourceTypes.IsKnown(text) => SearchModifier.Type,
            _ => throw FhirException.NotSupported($"Modifier ':{text}' is not supported on '{key}' ({parameter.Type})."),
        };
        if (modifier == SearchModifier.Type)
        {
            typeModifier = text;
        }

        return modifier;
    }

    private static bool ParseBoolean(string value, string key) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw FhirException.BadRequest($"'{key}' takes true or false, not '{value}'."),
    };

    /// <summary><c>http://loinc.org|8480-6$gt100</c>: one value per component, separated by an unescaped '$'.</summary>
    private static CompositeSearchValue ParseComposite(SearchParameterInfo parameter, string value, string key)
    {
        var parts = SplitUnescaped(value, '$');
        if (parts.Count != parameter.Components.Count)
        {
            throw FhirException.BadRequest($"'{key}' takes {parameter.Components.Count} values separated by '$', e.g. http://loinc.org|8480-6$gt100.");
        }

        var components = new List<SearchValue>(parts.Count);
        for (var i = 0; i < parts.Count; i++)
        {
            var part = Unescape(parts[i]);
            components.Add(parameter.Components[i].Type switch
            {
                SearchParamType.String => new StringSearchValue(TextNormalizer.Normalize(part), part),
                SearchParamType.Token => ParseToken(parts[i]),
                SearchParamType.Reference => ParseReference(part, null, null),
                SearchParamType.Date => ParseDate(part, key),
                SearchParamType.Number => ParseNumber(part, key),
                SearchParamType.Quantity => ParseQuantity(parts[i], key),
                SearchParamType.Uri => new UriSearchValue(part),
                _ => throw FhirException.NotSupported($"'{key}': component type {parameter.Components[i].Type} is not supported."),
            });
        }

        return new CompositeSearchValue(components);
    }

    private static OfTypeSearchValue ParseOfType(string value, string key)
    {
        var parts = SplitUnescaped(value, '|');
        return parts.Count == 3 && parts.All(p => p.Length > 0)
            ? new OfTypeSearchValue(Unescape(parts[0]), Unescape(parts[1]), Unescape(parts[2]))
            : throw FhirException.BadRequest($"'{key}' takes typeSystem|typeCode|value (e.g. http://terminology.hl7.org/CodeSystem/v2-0203|MR|12345).");
    }

    private static TokenSearchValue ParseToken(string value)
    {
        var bar = IndexOfUnescaped(value, '|');
        if (bar < 0)
        {
            return new TokenSearchValue(null, Unescape(value));
        }

        var system = Unescape(value[..bar]);
        var code = Unescape(value[(bar + 1)..]);
        return new TokenSearchValue(system, code.Length == 0 ? null : code);
    }

    /// <param name="localBase">This server's base URL: absolute references under it are local; any other URL matches only itself.</param>
    private static ReferenceSearchValue ParseReference(string value, string? typeModifier, string? localBase)
    {
        if (localBase is not null && value.StartsWith(localBase + "/", StringComparison.Ordinal))
        {
            var local = ParseReference(value[(localBase.Length + 1)..], typeModifier, null);
            return local with { Url = value };
        }

        if (value.Contains("://", StringComparison.Ordinal) || value.StartsWith("urn:", StringComparison.Ordinal))
        {
            // A canonical reference may name a version: url|1.2 matches only that version, url alone every version.
            var bar = value.IndexOf('|', StringComparison.Ordinal);
            return bar < 0 ? new ReferenceSearchValue(null, null, value) : new ReferenceSearchValue(null, null, value[..bar], value[(bar + 1)..]);
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var type = value[..slash];
            var id = value[(slash + 1)..];
            var historyAt = id.IndexOf("/_history/", StringComparison.Ordinal);
            if (historyAt >= 0)
            {
                id = id[..historyAt];
            }

            if (!ResourceTypes.IsKnown(type) || !ResourceIds.IsValid(id))
            {
                throw FhirException.BadRequest($"'{value}' is not a valid reference (Type/id).");
            }

            return new ReferenceSearchValue(type, id, null);
        }

        if (!ResourceIds.IsValid(value))
        {
            throw FhirException.BadRequest($"'{value}' is not a valid resource id.");
        }

        return new ReferenceSearchValue(typeModifier, value, null);
    }

    private static DateSearchValue ParseDate(string value, string key)
    {
        var (prefix, rest) = SplitPrefix(value);
        if (!FhirDateRange.TryParse(rest, out var range))
        {
            throw FhirException.BadRequest($"'{value}' is not a valid FHIR date for '{key}' (expected e.g. 1970, 1970-03, 1970-03-01 or 1970-03-01T10:00:00Z, optionally prefixed by eq, ne, gt, lt, ge, le, sa, eb or ap).");
        }

        return new DateSearchValue(prefix, range);
    }

    private static NumberSearchValue ParseNumber(string value, string key)
    {
        var (prefix, rest) = SplitPrefix(value);
        var number = ParseDecimal(rest, key);
        var (low, high) = PrecisionRange(rest, number);
        return new NumberSearchValue(prefix, number, low, high);
    }

    private static QuantitySearchValue ParseQuantity(string value, string key)
    {
        var parts = SplitUnescaped(value, '|');
        var (prefix, rest) = SplitPrefix(parts[0]);
        var number = ParseDecimal(rest, key);
        var (low, high) = PrecisionRange(rest, number);
        string? system = parts.Count > 1 && parts[1].Length > 0 ? parts[1] : null;
        string? code = parts.Count > 2 && parts[2].Length > 0 ? parts[2] : null;
        return new QuantitySearchValue(prefix, number, low, high, system, code);
    }

    /// <summary>
    /// The range implied by the significant figures as written (R4 3.1.1.4.2): 100 is [99.5, 100.5), 1e2 is [50, 150),
    /// 1.50e2 is [149.5, 150.5).
    /// </summary>
    internal static (decimal Low, decimal High) PrecisionRange(string text, decimal value)
    {
        var e = text.IndexOfAny(['e', 'E']);
        if (e < 0)
        {
            return SearchIndexer.PrecisionRange(value);
        }

        var mantissa = text[..e];
        var exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var decimals = dot < 0 ? 0 : mantissa.Length - dot - 1;
        var place = exponent - decimals;
        var half = 0.5m * (place >= 0 ? Pow10(place) : 1m / Pow10(-place));
        return (value - half, value + half);
    }

    private static decimal Pow10(int power)
    {
        var result = 1m;
        for (var i = 0; i < power && i < 28; i++)
        {
            result *= 10;
        }

        return result;
    }

    private static decimal ParseDecimal(string text, string key) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw FhirException.BadRequest($"'{text}' is not a number for '{key}'.");

    private static (SearchPrefix Prefix, string Value) SplitPrefix(string value)
    {
        if (value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]))
        {
            SearchPrefix? prefix = value[..2] switch
            {
                "eq" => SearchPrefix.Eq,
                "ne" => SearchPrefix.Ne,
                "gt" => SearchPrefix.Gt,
                "lt" => SearchPrefix.Lt,
                "ge" => SearchPrefix.Ge,
                "le" => SearchPrefix.Le,
                "sa" => SearchPrefix.Sa,
                "eb" => SearchPrefix.Eb,
                "ap" => SearchPrefix.Ap,
                _ => null,
            };
            if (prefix is { } p)
            {
                return (p, value[2..]);
            }
        }

        return (SearchPrefix.Eq, value);
    }

    /// <summary>Splits on commas not escaped with a backslash (R4 3.1.1.6 escaping).</summary>
    internal static List<string> SplitOr(string value) => SplitUnescaped(value, ',').Select(Unescape).Where(v => v.Length > 0).ToList();

    private static List<string> SplitUnescaped(string value, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                current.Append(value[i]).Append(value[i + 1]);
                i++;
            }
            else if (value[i] == separator)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(value[i]);
            }
        }

        parts.Add(current.ToString());
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
        value.Contains('\\', StringComparison.Ordinal)
            ? value.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\|", "|", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal)
            : value;
}

/// <param name="Used">The parameters applied, for the Bundle's self link.</param>
/// <param name="Ignored">Unknown parameters skipped in lenient mode.</param>
public sealed record SearchParseResult(SearchQuery Query, IReadOnlyList<KeyValuePair<string, string>> Used, IReadOnlyList<string> Ignored);
