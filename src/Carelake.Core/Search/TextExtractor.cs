using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Carelake.Core.Search;

/// <summary>
/// The words behind _text and _content, read from the serialised JSON (one forward pass, no object model): the
/// narrative with its markup removed, and every string value a person would search for — identifiers, system URLs,
/// references and codes' machinery are left out, and so are <c>code</c> values and dates and times.
/// <para>
/// Why codes and dates are out: they have their own search parameters (token, date), and as words they are noise —
/// `_content=2019` would match every resource of that year. They were also 60 % of the words of a Synthea resource
/// (dates alone 36 %: a dateTime is seven words), and maintaining the full-text index is the single writer's largest
/// cost (docs/benchmarks.md, F3 "eighth session").
/// </para>
/// </summary>
public static partial class TextExtractor
{
    private const int MaxLength = 32 * 1024;

    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        "resourceType", "id", "reference", "system", "url", "fullUrl", "versionId", "lastUpdated", "profile", "source",
        "div", "status", "use", "type", "mode", "language", "contentType", "data", "hash", "valueBase64Binary", "canonical",
        "code",
    };

    public static TextIndexValue? Extract(byte[] json)
    {
        var narrative = new StringBuilder();
        var content = new StringBuilder();
        var reader = new Utf8JsonReader(json);
        string? property = null;
        while (reader.Read() && content.Length < MaxLength)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString();
                    break;
                case JsonTokenType.String when property == "div":
                    var text = Markup().Replace(reader.GetString() ?? string.Empty, " ");
                    narrative.Append(System.Net.WebUtility.HtmlDecode(text)).Append(' ');
                    break;
                case JsonTokenType.String when property is not null && !Skipped.Contains(property):
                    var value = reader.GetString()!;
                    if (!DateOrTime().IsMatch(value))
                    {
                        content.Append(value).Append(' ');
                    }

                    break;
            }
        }

        content.Append(narrative);
        return narrative.Length == 0 && content.Length == 0 ? null : new TextIndexValue(0, narrative.ToString(), content.ToString());
    }

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Markup();

    /// <summary>A FHIR date, dateTime, instant or time (as JSON carries them).</summary>
    [GeneratedRegex(@"^(\d{4}(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?)?)?|\d\d:\d\d(:\d\d(\.\d+)?)?)$", RegexOptions.CultureInvariant)]
    public static partial Regex DateOrTime();
}
