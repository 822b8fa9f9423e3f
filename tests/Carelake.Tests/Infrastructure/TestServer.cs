using Carelake.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Carelake.Tests.Infrastructure;

/// <summary>
/// A real Carelake server on Kestrel (a free loopback port) over a real SQLite file in its own temporary folder, or,
/// when the suite runs on PostgreSQL (<see cref="TestPostgres.Enabled"/>), over its own database on the test server.
/// Each test class gets its own server (IClassFixture) or creates one; no test depends on another's data.
/// </summary>
public sealed class TestServer : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "carelake-tests", Guid.NewGuid().ToString("N"));

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The FHIR base URL, e.g. http://127.0.0.1:41234/fhir.</summary>
    public string BaseUrl { get; private set; } = null!;

    public CarelakeServices Services => _app!.Services.GetRequiredService<CarelakeServices>();

    /// <summary>The host's service provider (security tests register users and clients through it).</summary>
    public IServiceProvider Provider => _app!.Services;

    public Action<CarelakeOptions>? Configure { get; init; }

    /// <summary>The PostgreSQL connection string when the suite runs on PostgreSQL; null on SQLite.</summary>
    public string? ConnectionString { get; private set; }

    public async Task InitializeAsync()
    {
        // FHIR-semantics tests run in --dev mode (authentication off); security tests set Dev = false in Configure.
        var options = new CarelakeOptions { DataDir = DataDir, Urls = "http://127.0.0.1:0", Dev = true };
        if (TestPostgres.Enabled)
        {
            options.Database.ConnectionString = ConnectionString = await TestPostgres.DatabaseForAsync(DataDir);
        }

        Configure?.Invoke(options);
        _app = await ServerHost.BuildAsync(options, [], CancellationToken.None);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/') + options.BasePath;
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl + "/") };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
