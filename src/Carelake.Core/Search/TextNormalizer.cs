using System.Globalization;
using System.Text;

namespace Carelake.Core.Search;

/// <summary>String-search normalisation: case- and accent-insensitive (R4 3.1.1.5.5), whitespace collapsed.</summary>
public static class TextNormalizer
{
    public static string Normalize(string value)
    {
        if (IsSimpleAscii(value))
        {
            return CollapseAscii(value);
        }

        var decomposed = value.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        var lastWasSpace = true;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                }

                lastWasSpace = true;
                continue;
            }

            builder.Append(FoldSpecial(char.ToLowerInvariant(c)));
            lastWasSpace = false;
        }

        return builder.ToString().TrimEnd().Normalize(NormalizationForm.FormC);
    }

    // Letters that have no decomposition but that people type without the mark.
    private static string FoldSpecial(char c) => c switch
    {
        'ø' => "o",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ł' => "l",
        'đ' => "d",
        'ı' => "i",
        _ => c.ToString(),
    };

    private static bool IsSimpleAscii(string value)
    {
        foreach (var c in value)
        {
            if (c > 127)
            {
                return false;
            }
        }

        return true;
    }

    private static string CollapseAscii(string value)
    {
        var builder = new StringBuilder(value.Length);
        var lastWasSpace = true;
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                }

                lastWasSpace = true;
                continue;
            }

            builder.Append(char.ToLowerInvariant(c));
            lastWasSpace = false;
        }

        var length = builder.Length;
        if (length > 0 && builder[length - 1] == ' ')
        {
            builder.Length = length - 1;
        }

        return builder.ToString();
    }
}
