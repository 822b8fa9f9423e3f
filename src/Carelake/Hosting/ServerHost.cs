using Carelake.Audit;
using Carelake.Endpoints;
using Carelake.Http;
using Carelake.Security;

namespace Carelake.Hosting;

/// <summary>Builds the web host: the FHIR API under <see cref="CarelakeOptions.BasePath"/>, health probes, and the web app.</summary>
public static class ServerHost
{
    /// <summary>
    /// Kestrel:Endpoints (appsettings.json, Kestrel__Endpoints__… in the environment) would listen beside, or instead
    /// of, --urls: plain HTTP there obeys the same rule (loopback, a configured TLS proxy, or --dev).
    /// </summary>
    public static IReadOnlyList<string> KestrelEndpointProblems(IConfiguration configuration, CarelakeOptions options)
    {
        var plainHttp = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>()
            .Where(url => url.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        return options.Tls.Problems(plainHttp, options.Dev).ToList();
    }

    public static async Task<WebApplication> BuildAsync(CarelakeOptions options, string[] args, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (KestrelEndpointProblems(builder.Configuration, options) is { Count: > 0 } problems)
        {
            throw new InvalidOperationException("Carelake cannot start: Kestrel:Endpoints in the configuration: " + string.Join(" ", problems));
        }

        // The slim builder leaves HTTPS out; https:// URLs with an operator certificate need it.
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            if (options.Tls.LoadCertificate() is { } certificate)
            {
                kestrel.ConfigureHttpsDefaults(https =>
                {
                    https.ServerCertificate = certificate;
                    https.SslProtocols = TlsOptions.Protocols;
                });
            }
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, cancellationToken);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(services);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CapabilityStatementBuilder>();
        builder.Services.AddSingleton<JobRunner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddSingleton<ComplianceReport>();
        builder.Services.AddHostedService<AuditCheckpointer>();
        builder.Services.AddHsts(hsts => hsts.MaxAge = TimeSpan.FromDays(options.Tls.HstsMaxAgeDays));
        if (!options.Dev)
        {
            builder.AddCarelakeAuthServer(options);
        }

        var app = builder.Build();
        // Disposing the services drains the write queue: in-flight writes commit before the process exits.
        app.Lifetime.ApplicationStopped.Register(() => services.DisposeAsync().AsTask().GetAwaiter().GetResult());

        // The signing key exists before the first record: checkpoints never wait for it.
        _ = app.Services.GetRequiredService<AuditTrail>().Signer;
        app.UseMiddleware<RequestLogging>();
        app.UseMiddleware<AuditMiddleware>();
        app.UseMiddleware<ErrorHandling>();
        app.UseCarelakeSecurity(options);
        if (!options.Dev)
        {
            AuthEndpoints.Map(app, options);
            AdminEndpoints.Map(app);
        }

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (CarelakeServices s, CancellationToken ct) =>
            await s.Store.IsReadyAsync(ct) ? Results.Text("ready") : Results.Text("not ready", statusCode: 503));
        Web.StatusEndpoints.Map(app);
        Web.WebApp.Map(app, options.BasePath, options.WebRoot ?? Path.Combine(AppContext.BaseDirectory, "wwwroot"));

        var fhir = app.MapGroup(options.BasePath);
        SystemEndpoints.Map(fhir, options.BasePath);
        JobEndpoints.Map(fhir, options.BasePath);
        AuditEndpoints.Map(app, fhir, options);
        ResourceEndpoints.Map(fhir, options.BasePath);
        return app;
    }
}
