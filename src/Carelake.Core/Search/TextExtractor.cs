using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Carelake.Core.Search;

/// <summary>
/// The words behind _text and _content, read from the serialised JSON (one forward pass, no object model): the
/// narrative with its markup removed, and every string value a person would search for — identifiers, system URLs,
/// references and codes' machinery are left out.
/// </summary>
public static partial class TextExtractor
{
    private const int MaxLength = 32 * 1024;

    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        "resourceType", "id", "reference", "system", "url", "fullUrl", "versionId", "lastUpdated", "profile", "source",
        "div", "status", "use", "type", "mode", "language", "contentType", "data", "hash", "valueBase64Binary", "canonical",
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
                    content.Append(reader.GetString()).Append(' ');
                    break;
            }
        }

        content.Append(narrative);
        return narrative.Length == 0 && content.Length == 0 ? null : new TextIndexValue(0, narrative.ToString(), content.ToString());
    }

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Markup();
}
