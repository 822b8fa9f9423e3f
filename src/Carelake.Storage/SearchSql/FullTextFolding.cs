using System.Globalization;
using System.Text;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// Text as SQLite's FTS5 unicode61 tokenizer (remove_diacritics 2) sees it: lower case, no accents, and every
/// character that is not a letter or digit a word break. PostgreSQL's full-text parser would otherwise keep
/// "5.4", e-mail addresses and hyphenated words as single tokens, and the two providers would answer differently.
/// Applied to stored text and to searched words alike.
/// </summary>
internal static class FullTextFolding
{
    public static string Fold(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var decomposed = text.Normalize(NormalizationForm.FormD);
        var folded = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            folded.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        }

        return folded.ToString();
    }
}
