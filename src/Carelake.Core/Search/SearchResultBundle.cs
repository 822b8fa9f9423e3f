using Carelake.Core.Storage;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>
/// A searchset or history Bundle before serialisation. Kept apart from the Bundle POCO so the JSON writer can embed
/// stored resource bytes verbatim (no parse, no re-serialise) — the hot path of every search.
/// </summary>
public sealed record SearchResultBundle
{
    public required Bundle.BundleType Type { get; init; }

    public long? Total { get; init; }

    public IReadOnlyList<(string Relation, string Url)> Links { get; init; } = [];

    public IReadOnlyList<ResourceVersion> Entries { get; init; } = [];

    /// <summary>Resources added by _include/_revinclude (search.mode = include).</summary>
    public IReadOnlyList<ResourceVersion> Included { get; init; } = [];

    /// <summary>_summary/_elements applied to every entry; null: entries are returned as stored.</summary>
    public Fhir.ResourceFilter? Filter { get; init; }

    /// <summary>An OperationOutcome entry (search.mode = outcome), e.g. for ignored parameters.</summary>
    public OperationOutcome? Outcome { get; init; }

    public Bundle ToPoco(string baseUrl)
    {
        var bundle = new Bundle { Type = Type, Total = Total is { } t ? (int)Math.Min(t, int.MaxValue) : null, Id = Guid.NewGuid().ToString("N") };
        bundle.Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow };
        foreach (var (relation, url) in Links)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = relation, Url = url });
        }

        foreach (var (entry, included) in Entries.Select(e => (e, false)).Concat(Included.Select(e => (e, true))))
        {
            var component = new Bundle.EntryComponent { FullUrl = $"{baseUrl}/{entry.Path}" };
            if (entry.Json is not null)
            {
                component.Resource = Filter is null ? Fhir.FhirSerialization.ParseStored(entry.Json) : Fhir.FhirSerialization.ParseStored(Filter.ApplyJson(entry.Json, false));
            }

            if (Type == Bundle.BundleType.Searchset)
            {
                component.Search = new Bundle.SearchComponent { Mode = included ? Bundle.SearchEntryMode.Include : Bundle.SearchEntryMode.Match };
            }
            else
            {
                component.Request = new Bundle.RequestComponent
                {
                    Method = entry.Method switch { "POST" => Bundle.HTTPVerb.POST, "DELETE" => Bundle.HTTPVerb.DELETE, "PATCH" => Bundle.HTTPVerb.PATCH, _ => Bundle.HTTPVerb.PUT },
                    Url = entry.Method == "POST" ? entry.Type : $"{entry.Type}/{entry.Id}",
                };
                component.Response = new Bundle.ResponseComponent
                {
                    Status = entry.Method switch { "POST" => "201 Created", "DELETE" => "204 No Content", _ => "200 OK" },
                    Etag = $"W/\"{entry.Version}\"",
                    LastModified = entry.LastUpdated,
                };
            }

            bundle.Entry.Add(component);
        }

        if (Outcome is not null)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = Outcome,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome },
            });
        }

        return bundle;
    }
}
