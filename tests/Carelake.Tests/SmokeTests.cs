using System.Net;
using Carelake.Tests.Infrastructure;

namespace Carelake.Tests;

public sealed class SmokeTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Metadata_returns_a_CapabilityStatement()
    {
        var response = await server.Client.GetAsync("metadata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"CapabilityStatement\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
