using System.CommandLine;
using Carelake.Core.Generation;
using Carelake.Hosting;
using Carelake.Import;

namespace Carelake.Cli;

internal static class ServeCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var database = CommonOptions.Database();
        var urls = new Option<string?>("--urls") { Description = "URLs to listen on, ';'-separated (default http://localhost:8080)." };
        var demo = new Option<bool>("--demo") { Description = "Load generated demo patients on first start (empty database only) and print demo accounts (authentication stays on)." };
        var dev = new Option<bool>("--dev") { Description = "Developer mode: switches authentication off (insecure; never in production). The only way to do so." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "TLS certificate for https:// URLs: a PEM file (with --tls-key) or a PKCS#12 .pfx/.p12 (password: Carelake__Tls__CertificatePassword)." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var behindProxy = new Option<bool>("--behind-proxy") { Description = "A TLS-terminating proxy forwards requests (trust X-Forwarded-* from Carelake:Tls:TrustedProxies, default loopback)." };
        var command = new Command("serve", "Start the FHIR server (and the web app) with embedded storage.") { dataDir, database, urls, demo, dev, tlsCert, tlsKey, behindProxy };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommonOptions.Load(o =>
            {
                o.DataDir = parse.GetValue(dataDir) ?? o.DataDir;
                o.Database.ConnectionString = parse.GetValue(database) ?? o.Database.ConnectionString;
                o.Urls = parse.GetValue(urls) ?? o.Urls;
                o.Demo |= parse.GetValue(demo);
                o.Dev |= parse.GetValue(dev);
                o.Tls.CertificatePath = parse.GetValue(tlsCert) ?? o.Tls.CertificatePath;
                o.Tls.KeyPath = parse.GetValue(tlsKey) ?? o.Tls.KeyPath;
                o.Tls.BehindProxy |= parse.GetValue(behindProxy);
            });
            if (CommonOptions.ReportInvalid(options) is { } exit)
            {
                return exit;
            }

            WebApplication built;
            try
            {
                built = await ServerHost.BuildAsync(options, [], cancellationToken);
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("Carelake cannot start", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }

            await using var app = built;
            if (options.Dev)
            {
                Console.Error.WriteLine(DevBanner);
            }

            if (options.Demo)
            {
                await LoadDemoDataAsync(app.Services.GetRequiredService<CarelakeServices>(), options, cancellationToken);
            }

            await app.StartAsync(cancellationToken);
            if (options.Demo && !options.Dev)
            {
                await Security.DemoAccounts.EnsureAsync(app.Services, app.Services.GetRequiredService<CarelakeServices>(), options, cancellationToken);
            }

            Console.WriteLine($"Carelake is listening on {options.Urls} — FHIR API at {options.Urls.Split(';')[0].TrimEnd('/')}{options.BasePath} ({(options.Database.IsPostgres ? "data in PostgreSQL" : "data in " + Path.GetFullPath(options.DataDir))}).");
            // SIGTERM/Ctrl+C reach the host through this token: System.CommandLine's signal handler cancels it and then
            // waits for this action (Program.cs), so the host's graceful stop — draining requests, the shutdown audit
            // checkpoint — runs before the process exits.
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    private const string DevBanner = """
        ################################################################################
        #  WARNING: --dev mode. AUTHENTICATION IS OFF: anyone who can reach this port  #
        #  can read, change and erase every record. Never use it with real patient     #
        #  data or on a network. Without --dev every request needs an OAuth token.     #
        ################################################################################
        """;

    private static async Task LoadDemoDataAsync(CarelakeServices services, CarelakeOptions options, CancellationToken cancellationToken)
    {
        var counts = await services.Store.CountByTypeAsync(cancellationToken);
        if (counts.ContainsKey("Patient"))
        {
            Console.WriteLine($"Demo data: the database already holds {counts["Patient"]} patients; nothing loaded.");
            return;
        }

        // Fixed seed and reference date: every fresh demo looks the same, which makes docs and bug reports reproducible.
        var generator = new SyntheticDataGenerator(seed: 42, referenceNow: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var summary = new ImportSummary();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await new ResourceImporter(services).ImportResourcesAsync(generator.Generate(options.DemoPatients), summary, null, cancellationToken);
        Console.WriteLine($"Demo data: {summary.Created} resources for {options.DemoPatients} patients loaded in {started.Elapsed.TotalSeconds:F1} s.");
    }
}
