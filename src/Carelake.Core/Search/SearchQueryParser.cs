using System.Globalization;
using System.Text;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>Turns FHIR search parameters (query string or form body) into a <see cref="SearchQuery"/>.</summary>
public sealed class SearchQueryParser(SearchParameterRegistry registry, int defaultCount = 20, int maxCount = 1000)
{
    /// <summary>Parameters handled by the HTTP layer, never reported as unknown.</summary>
    private static readonly HashSet<string> HttpParameters = new(StringComparer.Ordinal) { "_format", "_pretty" };

    public SearchParseResult Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> parameters, bool strict)
    {
        var criteria = new List<SearchCriterion>();
        var ignored = new List<string>();
        var used = new List<KeyValuePair<string, string>>();
        var count = defaultCount;
        string? cursor = null;
        var total = false;

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
                case "_total":
                    total = value is "accurate" or "estimate";
                    used.Add(new(key, value));
                    continue;
            }

            if (SplitOr(value).Count == 0)
            {
                // R4 3.1.1.5: a parameter without a value is ignored.
                continue;
            }

            var colon = key.IndexOf(':', StringComparison.Ordinal);
            var code = colon < 0 ? key : key[..colon];
            var modifierText = colon < 0 ? null : key[(colon + 1)..];

            if (code is "_id" or "_lastUpdated")
            {
                criteria.Add(ParseColumnCriterion(code, modifierText, value));
                used.Add(new(key, value));
                continue;
            }

            if (!registry.TryGet(resourceType, code, out var parameter))
            {
                if (strict)
                {
                    throw new FhirException(400, OperationOutcome.IssueType.NotSupported,
                        $"Unknown or unsupported search parameter '{key}' for {resourceType}.");
                }

                ignored.Add(key);
                continue;
            }

            criteria.Add(ParseCriterion(parameter, modifierText, value, key));
            used.Add(new(key, value));
        }

        var query = new SearchQuery
        {
            ResourceType = resourceType,
            Criteria = criteria,
            Count = count,
            Cursor = cursor,
            IncludeTotal = total,
        };
        return new SearchParseResult(query, used, ignored);
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

    private static SearchCriterion ParseCriterion(SearchParameterInfo parameter, string? modifierText, string value, string key)
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
                SearchParamType.Token => ParseToken(part),
                SearchParamType.Reference => ParseReference(part, typeModifier),
                SearchParamType.Date => ParseDate(part, key),
                SearchParamType.Number => ParseNumber(part, key),
                SearchParamType.Quantity => ParseQuantity(part, key),
                SearchParamType.Uri => new UriSearchValue(part),
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

    private static ReferenceSearchValue ParseReference(string value, string? typeModifier)
    {
        if (value.Contains("://", StringComparison.Ordinal))
        {
            var parsed = ReferenceParser.Parse(value);
            return new ReferenceSearchValue(parsed.Type, parsed.Id, value);
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
        var (low, high) = SearchIndexer.PrecisionRange(number);
        return new NumberSearchValue(prefix, number, low, high);
    }

    private static QuantitySearchValue ParseQuantity(string value, string key)
    {
        var parts = SplitUnescaped(value, '|');
        var (prefix, rest) = SplitPrefix(parts[0]);
        var number = ParseDecimal(rest, key);
        var (low, high) = SearchIndexer.PrecisionRange(number);
        string? system = parts.Count > 1 && parts[1].Length > 0 ? parts[1] : null;
        string? code = parts.Count > 2 && parts[2].Length > 0 ? parts[2] : null;
        return new QuantitySearchValue(prefix, number, low, high, system, code);
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
