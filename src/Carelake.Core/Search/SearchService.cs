using System.Text;
using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>Type-level search: parse, run on the store, and shape the searchset with self/next links.</summary>
public sealed class SearchService(IResourceStore store, SearchQueryParser parser)
{
    private readonly TerminologyResolver _terminology = new(store, parser.Registry);

    public Task<SearchResultBundle> SearchAsync(string baseUrl, string resourceType, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict, CancellationToken cancellationToken) =>
        SearchAsync(baseUrl, resourceType, resourceType, null, parameters, strict, cancellationToken);

    /// <summary>System-level search (<c>GET [base]?_type=Patient,Observation&amp;_lastUpdated=gt…</c>) with the parameters common to all types.</summary>
    public Task<SearchResultBundle> SearchSystemAsync(string baseUrl, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict, CancellationToken cancellationToken) =>
        SearchAsync(baseUrl, "Resource", string.Empty, null, parameters, strict, cancellationToken);

    /// <summary>Compartment search: <c>GET [base]/Patient/123/Observation?…</c> (R4 3.1.1.2.2).</summary>
    public Task<SearchResultBundle> SearchCompartmentAsync(string baseUrl, string compartment, string id, string resourceType, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict, CancellationToken cancellationToken)
    {
        var definitions = CompartmentDefinitions.Standard.Value;
        if (!definitions.IsCompartment(compartment))
        {
            throw FhirException.NotFound($"{compartment} is not a compartment (Patient, Encounter, RelatedPerson, Practitioner or Device).");
        }

        var codes = definitions.ParametersFor(compartment, resourceType);
        var self = resourceType == compartment;
        if (codes.Count == 0 && !self)
        {
            throw FhirException.BadRequest($"{resourceType} resources are never in the {compartment} compartment.");
        }

        var references = codes
            .Select(code => parser.Registry.TryGet(resourceType, code, out var p) ? p : null)
            .OfType<SearchParameterInfo>()
            .ToList();
        return SearchAsync(baseUrl, resourceType, $"{compartment}/{id}/{resourceType}", new CompartmentFilter(compartment, id, references, self), parameters, strict, cancellationToken);
    }

    /// <summary>The parameter a type's care date is searched by, for $everything's start/end (first that exists).</summary>
    private static readonly string[] CareDateCodes = ["date", "onset-date", "authoredon", "created", "occurrence", "period", "recorded-date", "issued"];

    /// <summary>
    /// <c>Patient/[id]/$everything</c> (R4 patient-operation-everything): the patient, every resource in its Patient
    /// compartment, and the resources those refer to (practitioners, organizations, medications, locations …) as
    /// included entries. <c>start</c>/<c>end</c> keep resources whose care date overlaps the period (and those without
    /// one), <c>_since</c> those changed since, <c>_type</c> limits the types; <c>_count</c> and next links page it.
    /// </summary>
    public async Task<SearchResultBundle> EverythingAsync(string baseUrl, string patientId, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var patient = await store.ReadAsync("Patient", patientId, cancellationToken);
        if (patient is null)
        {
            throw FhirException.NotFound($"Patient/{patientId} is not known.");
        }

        if (patient.Deleted)
        {
            throw FhirException.Gone($"Patient/{patientId} was deleted.");
        }

        var definitions = CompartmentDefinitions.Standard.Value;
        var types = definitions.TypesIn("Patient").Append("Patient").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var used = new List<KeyValuePair<string, string>>();
        var criteria = new List<SearchCriterion>();
        var count = 50;
        string? cursor = null;
        FhirDateRange? start = null, end = null;
        foreach (var (key, value) in parameters)
        {
            switch (key)
            {
                case "_type":
                    var wanted = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var unknown = wanted.Where(t => !types.Contains(t, StringComparer.Ordinal)).ToList();
                    types = unknown.Count == 0
                        ? [.. wanted]
                        : throw FhirException.BadRequest($"_type: {string.Join(", ", unknown)} {(unknown.Count == 1 ? "is" : "are")} not in the Patient compartment.");
                    break;
                case "_count":
                    count = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c)
                        ? Math.Clamp(c, 1, 1000)
                        : throw FhirException.BadRequest($"_count must be a positive integer, not '{value}'.");
                    break;
                case "_since":
                    criteria.Add(new SearchCriterion("_lastUpdated", null, SearchModifier.None, [new DateSearchValue(SearchPrefix.Ge, DateOf(value, key))]));
                    break;
                case "start":
                    start = DateOf(value, key);
                    break;
                case "end":
                    end = DateOf(value, key);
                    break;
                case "_cursor":
                    cursor = value;
                    continue;
                case "_format" or "_pretty" or "_elements" or "_summary":
                    break;
                default:
                    throw FhirException.BadRequest($"$everything does not take '{key}' (start, end, _since, _type, _count).");
            }

            used.Add(new(key, value));
        }

        if (start is not null || end is not null)
        {
            var dateParameters = types
                .Select(t => CareDateCodes.Select(code => parser.Registry.TryGet(t, code, out var p) && p.Type == SearchParamType.Date ? p : null).FirstOrDefault(p => p is not null))
                .OfType<SearchParameterInfo>()
                .ToList();
            criteria.Add(new CareDateCriterion(dateParameters, start?.Low ?? long.MinValue, end?.High ?? long.MaxValue));
        }

        var references = types
            .SelectMany(t => definitions.ParametersFor("Patient", t).Select(code => parser.Registry.TryGet(t, code, out var p) ? p : null))
            .OfType<SearchParameterInfo>()
            .ToList();
        var query = new SearchQuery
        {
            ResourceType = "Resource",
            Types = types,
            Criteria = criteria,
            Count = count,
            Cursor = cursor,
            Compartment = new CompartmentFilter("Patient", patientId, references, IncludesSelf: types.Contains("Patient")),
            Includes = [new IncludeSpec("*", null, null, Iterate: false)],
        };
        var page = await store.SearchAsync(query, cancellationToken);
        var path = $"Patient/{patientId}/$everything";
        var links = PageLinks(baseUrl, path, used, cursor, page);

        return new SearchResultBundle
        {
            Type = Bundle.BundleType.Searchset,
            Links = links,
            Entries = page.Resources,
            Included = page.Included,
            Filter = ResourceFilter.From(parameters),
        };

        static FhirDateRange DateOf(string value, string key) =>
            FhirDateRange.TryParse(value, out var range) ? range : throw FhirException.BadRequest($"{key}: '{value}' is not a FHIR date.");
    }

    private static readonly string[] MetaCodes = ["_tag", "_security", "_profile"];

    /// <summary>Type- or system-level $meta: the tags, security labels and profiles in use on current resources (up to 1,000 of each).</summary>
    public async Task<Meta> MetaInUseAsync(string? type, CancellationToken cancellationToken)
    {
        var parameters = MetaCodes
            .Select(code => parser.Registry.TryGet(type ?? "Resource", code, out var p) ? p : null)
            .OfType<SearchParameterInfo>()
            .ToList();
        var meta = new Meta();
        var profiles = new List<string>();
        foreach (var (paramId, system, value) in await store.DistinctValuesAsync(parameters, type, 1000, cancellationToken))
        {
            switch (parameters.First(p => p.Id == paramId).Code)
            {
                case "_tag":
                    meta.Tag.Add(new Coding(system, value));
                    break;
                case "_security":
                    meta.Security.Add(new Coding(system, value));
                    break;
                default:
                    profiles.Add(value);
                    break;
            }
        }

        meta.Profile = profiles.Order(StringComparer.Ordinal);
        return meta;
    }

    /// <summary>
    /// The search of a conditional interaction (If-None-Exist, <c>PUT/DELETE Type?…</c>, <c>ifNoneExist</c>, a
    /// conditional reference). Strict: an unknown parameter is an error, because ignoring it would widen the match
    /// to resources the client never meant; at least one criterion; paging and result parameters are refused.
    /// </summary>
    public async Task<SearchQuery> ConditionAsync(string resourceType, string queryString, string what, CancellationToken cancellationToken)
    {
        var parameters = QueryString.Parse(queryString.TrimStart('?'));
        if (parameters.FirstOrDefault(p => p.Key is "_count" or "_sort" or "_include" or "_revinclude" or "_summary" or "_elements" or "_total" or "_contained") is { Key: { } refused })
        {
            throw FhirException.BadRequest($"{what} '{queryString}': {refused} has no meaning in a condition.");
        }

        var parsed = parser.Parse(resourceType, parameters, strict: true);
        if (parsed.Query.Criteria.Count == 0)
        {
            throw FhirException.BadRequest($"{what} '{queryString}' has no search criteria; a condition must name at least one (e.g. identifier=system|value).");
        }

        return await _terminology.ResolveAsync(parsed.Query, cancellationToken);
    }

    /// <summary>Up to <paramref name="limit"/> current resources matching a condition.</summary>
    public async Task<IReadOnlyList<ResourceVersion>> MatchAsync(SearchQuery condition, int limit, CancellationToken cancellationToken) =>
        (await store.SearchAsync(condition with { Count = limit, Cursor = null, IncludeTotal = false, CountOnly = false }, cancellationToken)).Resources;

    private async Task<SearchResultBundle> SearchAsync(string baseUrl, string resourceType, string path, CompartmentFilter? compartment, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict, CancellationToken cancellationToken)
    {
        var parsed = parser.Parse(resourceType, parameters, strict, baseUrl);
        var query = compartment is null ? parsed.Query : parsed.Query with { Compartment = compartment };
        query = await _terminology.ResolveAsync(query, cancellationToken);
        var page = await store.SearchAsync(query, cancellationToken);
        var links = PageLinks(baseUrl, path, parsed.Used, parsed.Query.Cursor, page);

        OperationOutcome? outcome = null;
        if (parsed.Ignored.Count > 0)
        {
            outcome = Outcomes.Issue(
                OperationOutcome.IssueSeverity.Warning,
                OperationOutcome.IssueType.NotSupported,
                $"Ignored unknown or unsupported search parameters: {string.Join(", ", parsed.Ignored)}.",
                null);
        }

        return new SearchResultBundle
        {
            Type = Bundle.BundleType.Searchset,
            Total = page.Total,
            Links = links,
            Entries = page.Resources,
            Included = page.Included,
            Outcome = outcome,
            Filter = ResourceFilter.From(parameters),
        };
    }

    public async Task<SearchResultBundle> HistoryAsync(string baseUrl, string? type, string? id, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        DateTimeOffset? since = null;
        DateTimeOffset? at = null;
        var count = 50;
        long? before = null;
        var used = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in parameters)
        {
            switch (key)
            {
                case "_since":
                    since = ParseInstant(value, key);
                    used.Add(new(key, value));
                    break;
                case "_at":
                    at = ParseInstant(value, key);
                    used.Add(new(key, value));
                    break;
                case "_count":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count))
                    {
                        throw FhirException.BadRequest($"_count must be a non-negative integer, not '{value}'.");
                    }

                    count = Math.Clamp(count, 0, 1000);
                    used.Add(new(key, value));
                    break;
                case "_format" or "_pretty":
                    used.Add(new(key, value));
                    break;
                case "_cursor":
                    before = long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var b)
                        ? b
                        : throw FhirException.BadRequest("The paging cursor is not valid; follow the links the server returns.");
                    break;
            }
        }

        var page = await store.HistoryAsync(new HistoryQuery(type, id, since, at, count, before), cancellationToken);
        var path = type is null ? "_history" : id is null ? $"{type}/_history" : $"{type}/{id}/_history";
        var links = new List<(string, string)> { ("self", Link(baseUrl, path, used, before?.ToString(System.Globalization.CultureInfo.InvariantCulture))) };
        if (page.NextCursor is { } next)
        {
            links.Add(("next", Link(baseUrl, path, used, next.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        return new SearchResultBundle { Type = Bundle.BundleType.History, Links = links, Entries = page.Versions };
    }

    /// <summary>self and first, and next / previous where the page has them: cursors are the only paging state.</summary>
    private static List<(string, string)> PageLinks(string baseUrl, string path, IReadOnlyList<KeyValuePair<string, string>> used, string? cursor, SearchPage page)
    {
        var links = new List<(string, string)> { ("self", Link(baseUrl, path, used, cursor)), ("first", Link(baseUrl, path, used, null)) };
        if (page.NextCursor is not null)
        {
            links.Add(("next", Link(baseUrl, path, used, page.NextCursor)));
        }

        if (page.PreviousCursor is not null)
        {
            links.Add(("previous", Link(baseUrl, path, used, page.PreviousCursor)));
        }

        return links;
    }

    private static DateTimeOffset ParseInstant(string value, string key) =>
        FhirDateRange.TryParse(value, out var range)
            ? new DateTimeOffset(range.Low, TimeSpan.Zero)
            : throw FhirException.BadRequest($"'{value}' is not a valid instant for {key}.");

    private static string Link(string baseUrl, string path, IReadOnlyList<KeyValuePair<string, string>> parameters, string? cursor)
    {
        var builder = new StringBuilder(baseUrl);
        if (path.Length > 0)
        {
            builder.Append('/').Append(path);
        }

        var separator = '?';
        foreach (var (key, value) in parameters)
        {
            builder.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        if (cursor is not null)
        {
            builder.Append(separator).Append("_cursor=").Append(Uri.EscapeDataString(cursor));
        }

        return builder.ToString();
    }
}
