using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Carelake.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server that the tests create themselves: initdb into a temporary folder, a free port, pg_ctl
/// start, removed when the test process exits. One shared server per test run gives every <see cref="TestServer"/>
/// its own database; tests that restart PostgreSQL start their own server. The binaries are found on PATH or under
/// /usr/lib/postgresql/*/bin. PostgreSQL refuses to run as root, so as root it runs as an unprivileged account
/// (postgres when it exists, else nobody) through runuser or setpriv.
/// </summary>
public sealed class TestPostgres : IAsyncDisposable
{
    private const string User = "carelake";
    private static readonly Lazy<Task<TestPostgres>> SharedServer = new(() => StartAsync());
    private static readonly Dictionary<string, string> DatabasesByDataDir = new(StringComparer.Ordinal);
    private readonly string _root;
    private readonly string _binaries;
    private readonly string? _runAs;

    private TestPostgres(string root, string binaries, string? runAs, int port)
    {
        _root = root;
        _binaries = binaries;
        _runAs = runAs;
        Port = port;
    }

    /// <summary>CARELAKE_TEST_PROVIDER=postgres runs the suite on PostgreSQL (test.sh runs it once per provider).</summary>
    public static bool Enabled => string.Equals(Environment.GetEnvironmentVariable("CARELAKE_TEST_PROVIDER"), "postgres", StringComparison.OrdinalIgnoreCase);

    public static Task<TestPostgres> Shared => SharedServer.Value;

    public int Port { get; }

    private string DataFolder => Path.Combine(_root, "data");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Database={database};Timeout=15;Include Error Detail=true";

    /// <summary>A new, empty database on this server.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>The database of a data folder on the shared server: a restarted process or a CLI run on the same folder finds its data.</summary>
    public static async Task<string> DatabaseForAsync(string dataDir)
    {
        var key = Path.GetFullPath(dataDir);
        lock (DatabasesByDataDir)
        {
            if (DatabasesByDataDir.TryGetValue(key, out var known))
            {
                return known;
            }
        }

        var created = await (await Shared).CreateDatabaseAsync();
        lock (DatabasesByDataDir)
        {
            return DatabasesByDataDir.TryAdd(key, created) ? created : DatabasesByDataDir[key];
        }
    }

    /// <summary>Options that open the storage of a data folder, as the server and the CLI did for the same folder.</summary>
    public static async Task<Carelake.Hosting.CarelakeOptions> OptionsForAsync(string dataDir)
    {
        var options = new Carelake.Hosting.CarelakeOptions { DataDir = dataDir };
        if (Enabled)
        {
            options.Database.ConnectionString = await DatabaseForAsync(dataDir);
        }

        return options;
    }

    public static async Task<TestPostgres> StartAsync()
    {
        var binaries = FindBinaries();
        var runAs = Environment.UserName == "root" ? UnprivilegedAccount() : null;
        var root = Path.Combine(Path.GetTempPath(), "carelake-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (runAs is not null)
        {
            await RunAsync("chown", [runAs, root]);
        }

        var server = new TestPostgres(root, binaries, runAs, FreePort());
        await server.RunPostgresToolAsync("initdb", ["-D", server.DataFolder, "-U", User, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        await server.StartServerAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        server.StartWatchdog();
        return server;
    }

    /// <summary>
    /// The test host is often ended without ProcessExit handlers running; a detached watchdog stops the server
    /// (SIGQUIT: immediate shutdown) and removes its folder once this process is gone, however it ended.
    /// </summary>
    private void StartWatchdog()
    {
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; " +
            $"[ -f '{DataFolder}/postmaster.pid' ] && kill -QUIT \"$(head -n 1 '{DataFolder}/postmaster.pid')\" 2>/dev/null; sleep 2; rm -rf '{_root}'";
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "sh", "-c", script })
        {
            info.ArgumentList.Add(arg);
        }

        Process.Start(info)?.Dispose();
    }

    public Task StartServerAsync() => RunPostgresToolAsync("pg_ctl", ["-D", DataFolder, "-l", Path.Combine(_root, "postgres.log"), "-w", "-t", "60", "-o", Settings(), "start"]);

    /// <summary>A fast shutdown: open sessions are terminated, as in an operator's restart or a failover.</summary>
    public Task StopServerAsync() => RunPostgresToolAsync("pg_ctl", ["-D", DataFolder, "-m", "fast", "-w", "stop"]);

    /// <summary>An immediate shutdown (SIGQUIT to the postmaster): what a crash looks like, open transactions are lost.</summary>
    public Task KillServerAsync() => RunPostgresToolAsync("pg_ctl", ["-D", DataFolder, "-m", "immediate", "-w", "stop"]);

    private string Settings() =>
        $"-p {Port} -c listen_addresses=127.0.0.1 -k {_root} -c max_connections=400 -c fsync=off -c full_page_writes=off -c shared_buffers=64MB";

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(Path.Combine(DataFolder, "global")))
        {
            try
            {
                await RunPostgresToolAsync("pg_ctl", ["-D", DataFolder, "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task RunPostgresToolAsync(string tool, string[] args)
    {
        var path = Path.Combine(_binaries, tool);
        if (_runAs is null)
        {
            return RunAsync(path, args);
        }

        return File.Exists("/usr/sbin/runuser") || File.Exists("/sbin/runuser")
            ? RunAsync("runuser", ["-u", _runAs, "--", path, .. args])
            : RunAsync("setpriv", ["--reuid", _runAs, "--regid", GroupOf(_runAs), "--clear-groups", path, .. args]);
    }

    private static string GroupOf(string account) => account == "nobody" && !OperatingSystem.IsMacOS() ? "nogroup" : account;

    private static async Task RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static string FindBinaries()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(folder, "initdb");
            if (File.Exists(initdb) && File.Exists(Path.Combine(folder, "pg_ctl")))
            {
                // Resolve symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb): initdb finds postgres beside itself.
                return Path.GetDirectoryName(new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb)!;
            }
        }

        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return installed ?? throw new InvalidOperationException("PostgreSQL binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin.");
    }

    private static string UnprivilegedAccount()
    {
        var accounts = File.Exists("/etc/passwd") ? File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).ToHashSet(StringComparer.Ordinal) : [];
        return accounts.Contains("postgres") ? "postgres" : "nobody";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
