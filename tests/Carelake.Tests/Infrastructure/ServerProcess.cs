using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Carelake.Tests.Infrastructure;

/// <summary>The real `carelake` executable in its own process, for tests that kill it or run the CLI.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>Everything the server printed so far (stdout and stderr).</summary>
    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static string CarelakeDll => Path.Combine(AppContext.BaseDirectory, "Carelake.dll");

    public static Task<ServerProcess> StartAsync(string dataDir, params string[] extraArgs) => StartAsync(dataDir, new Dictionary<string, string>(), extraArgs);

    /// <param name="environment">Extra environment variables (configuration such as Carelake__Audit__…).</param>
    public static async Task<ServerProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var process = Start(["serve", "--data-dir", dataDir, "--urls", url, .. extraArgs, .. await DatabaseArgumentsAsync(dataDir, extraArgs)], environment);
        var server = new ServerProcess(process, url + "/fhir");
        process.OutputDataReceived += (_, e) => server.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => server.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient();
        // Generous: --demo loads ~10,000 resources before the server answers, and CI machines are shared.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {process.ExitCode} before it was ready.");
            }

            try
            {
                var response = await client.GetAsync(url + "/readyz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException("The server did not become ready within 180 s.");
    }

    /// <summary>Runs a CLI command to completion and returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunCliAsync(params string[] args) =>
        RunCliAsync(new Dictionary<string, string>(), args);

    /// <summary>
    /// Runs a CLI command with extra environment variables (configuration such as Carelake__…) to completion. A
    /// command still running after two minutes (a server that started when it should have refused) is killed, and
    /// the exit code is then -1.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunCliAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dataDir = Array.IndexOf(args, "--data-dir") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        var onDatabase = dataDir is not null && args[0] is "serve" or "import" or "db" && !args.Contains("--help");
        using var process = Start(onDatabase ? [.. args, .. await DatabaseArgumentsAsync(dataDir!, args)] : args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await stdout + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>On the PostgreSQL run, the database that belongs to a data folder (the same one again after a restart).</summary>
    private static async Task<string[]> DatabaseArgumentsAsync(string dataDir, string[] given) =>
        TestPostgres.Enabled && !given.Contains("--database") ? ["--database", await TestPostgres.DatabaseForAsync(dataDir)] : [];

    /// <summary>SIGKILL: no shutdown hooks, no flushing — the crash the durability promise is about.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM: the orderly shutdown an operator or orchestrator asks for.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Capture(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private static Process Start(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(CarelakeDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the carelake process.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
