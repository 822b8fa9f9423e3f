using Carelake.Core.Search;

namespace Carelake.Core.Tests.Search;

public sealed class FhirDateRangeTests
{
    [Theory]
    [InlineData("1970", "1970-01-01T00:00:00.0000000Z", "1970-12-31T23:59:59.9999999Z")]
    [InlineData("1970-02", "1970-02-01T00:00:00.0000000Z", "1970-02-28T23:59:59.9999999Z")]
    [InlineData("1972-02", "1972-02-01T00:00:00.0000000Z", "1972-02-29T23:59:59.9999999Z")]
    [InlineData("1970-03-01", "1970-03-01T00:00:00.0000000Z", "1970-03-01T23:59:59.9999999Z")]
    [InlineData("1970-03-01T10:15", "1970-03-01T10:15:00.0000000Z", "1970-03-01T10:15:59.9999999Z")]
    [InlineData("1970-03-01T10:15:30Z", "1970-03-01T10:15:30.0000000Z", "1970-03-01T10:15:30.9999999Z")]
    [InlineData("1970-03-01T10:15:30.5+02:00", "1970-03-01T08:15:30.5000000Z", "1970-03-01T08:15:30.5999999Z")]
    [InlineData("1970-03-01T23:30:00-05:00", "1970-03-02T04:30:00.0000000Z", "1970-03-02T04:30:00.9999999Z")]
    public void A_date_is_the_range_of_its_precision(string text, string low, string high)
    {
        Assert.True(FhirDateRange.TryParse(text, out var range));
        Assert.Equal(DateTimeOffset.Parse(low, System.Globalization.CultureInfo.InvariantCulture).UtcTicks, range.Low);
        Assert.Equal(DateTimeOffset.Parse(high, System.Globalization.CultureInfo.InvariantCulture).UtcTicks, range.High);
    }

    [Theory]
    [InlineData("")]
    [InlineData("19")]
    [InlineData("1970-13")]
    [InlineData("1970-02-30")]
    [InlineData("1970-03-01T25:00")]
    [InlineData("1970-03-01T10:00:00+15:00")]
    [InlineData("yesterday")]
    public void Invalid_dates_are_rejected(string text) => Assert.False(FhirDateRange.TryParse(text, out _));
}
