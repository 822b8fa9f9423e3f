using System.Collections.Frozen;
using System.Text;

namespace Carelake.Core.Search;

/// <summary>
/// String-search normalisation: case- and accent-insensitive (R4 3.1.1.5.5), whitespace collapsed.
/// Accents are folded with a managed table rather than Unicode decomposition: the process runs with invariant
/// globalization (no ICU), where <see cref="string.Normalize()"/> leaves "ü" as it is.
/// </summary>
public static class TextNormalizer
{
    // Latin-1 Supplement and Latin Extended-A/B letters whose canonical decomposition is an ASCII letter plus marks.
    private const string Accented = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ";
    private const string Folded = "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyy";

    private static readonly FrozenDictionary<char, string> Fold = BuildFoldTable();

    public static string Normalize(string value)
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

            lastWasSpace = false;
            if (c < 128)
            {
                builder.Append(char.ToLowerInvariant(c));
            }
            else if (Fold.TryGetValue(c, out var folded))
            {
                builder.Append(folded);
            }
            else if (!IsCombiningMark(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        var length = builder.Length;
        if (length > 0 && builder[length - 1] == ' ')
        {
            builder.Length = length - 1;
        }

        return builder.ToString();
    }

    // Decomposed input ("u" + U+0308) loses its marks the same way precomposed input loses its accents.
    private static bool IsCombiningMark(char c) => c is >= '\u0300' and <= '\u036F';

    private static FrozenDictionary<char, string> BuildFoldTable()
    {
        var table = new Dictionary<char, string>();
        for (var i = 0; i < Accented.Length; i++)
        {
            table[Accented[i]] = Folded[i].ToString();
        }

        // Letters without a decomposition that people nevertheless type without the mark.
        foreach (var (letter, plain) in new[] { ('ø', "o"), ('Ø', "o"), ('ß', "ss"), ('æ', "ae"), ('Æ', "ae"), ('œ', "oe"), ('Œ', "oe"), ('ł', "l"), ('Ł', "l"), ('đ', "d"), ('Đ', "d"), ('ı', "i"), ('þ', "th"), ('Þ', "th"), ('ð', "d"), ('Ð', "d") })
        {
            table[letter] = plain;
        }

        return table.ToFrozenDictionary();
    }
}
