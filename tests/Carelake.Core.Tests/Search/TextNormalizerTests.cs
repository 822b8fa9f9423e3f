using Carelake.Core.Search;

namespace Carelake.Core.Tests.Search;

public sealed class TextNormalizerTests
{
    [Theory]
    [InlineData("Müller", "muller")]
    [InlineData("MÜLLER", "muller")]
    [InlineData("Mu\u0308ller", "muller")]
    [InlineData("  José   María ", "jose maria")]
    [InlineData("Øystein Ærø", "oystein aero")]
    [InlineData("Straße", "strasse")]
    [InlineData("Łódź", "lodz")]
    [InlineData("Çağrı", "cagri")]
    [InlineData("O'Brien-Smith", "o'brien-smith")]
    public void Folds_case_accents_and_whitespace(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));
}
