using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Carelake.LoadDriver;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers, each sending one request, draining the response and
/// sending the next, over one shared HttpClient with one keep-alive HTTP/1.1 connection per worker.
/// </summary>
public sealed class Runner : IDisposable
{
    private const int SnippetBytes = 1024;
    private const int SnippetChars = 300;

    private readonly DriverOptions _options;
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _stop;
    private ErrorSample? _firstError;

    public Runner(DriverOptions options, CancellationToken stop)
    {
        _options = options;
        _stop = stop;
        _timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency,
            PooledConnectionLifetime = TimeSpan.FromHours(1),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = _timeout,
            ConnectCallback = LoopbackGuard.ConnectAsync,
            AllowAutoRedirect = false, // a redirect could point off the machine; a 3xx is reported as an error
            UseProxy = false,          // HTTP_PROXY must not route the load elsewhere (or add a hop)
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _client = new HttpClient(handler)
        {
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan, // each worker enforces --timeout over headers and body
        };
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        foreach (var (name, value) in options.Headers)
        {
            if (!_client.DefaultRequestHeaders.TryAddWithoutValidation(name, value))
            {
                throw new ArgumentException($"--header '{name}' cannot be set on requests (content headers are not supported)");
            }
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>One GET {base}/metadata: any HTTP answer means the server is there. Returns an error or null.</summary>
    public async Task<string?> CheckReachableAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _client.GetAsync(Workload.Combine(_options.BaseUrl, "metadata"), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            await response.Content.CopyToAsync(Stream.Null, timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return $"no answer from {_options.BaseUrl} within {_timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException ex)
        {
            return $"cannot reach {_options.BaseUrl}: {ex.Message}";
        }
    }

    /// <summary>Creates <paramref name="count"/> patients with <c>concurrency</c> workers; returns their ids.</summary>
    public async Task<(List<string> Ids, SeedSummary Summary, ErrorSample? FirstError)> SeedAsync(int count)
    {
        var workload = Workload.ForCreate(_options.BaseUrl);
        var ids = new List<string>(count);
        var next = 0;
        var failed = 0;
        var created = 0;
        ErrorSample? firstError = null;
        var started = Stopwatch.GetTimestamp();

        async Task SeedWorker()
        {
            using var generator = new PatientGenerator();
            var buffer = new byte[16 * 1024];
            var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop);
            try
            {
                // Give up once failures pass 10 and outnumber successes: against a server that times out,
                // seeding would otherwise take count / concurrency * --timeout.
                while (!_stop.IsCancellationRequested && Interlocked.Increment(ref next) <= count
                    && !(Volatile.Read(ref failed) >= 10 && Volatile.Read(ref failed) > Volatile.Read(ref created)))
                {
                    using var request = workload.CreatePatient(generator);
                    timeout.CancelAfter(_timeout);
                    string? id = null;
                    ErrorSample? error = null;
                    try
                    {
                        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                        if (response.IsSuccessStatusCode)
                        {
                            id = await ReadCreatedIdAsync(response, timeout.Token);
                            error = id is null ? new ErrorSample("seed", ((int)response.StatusCode).ToString(), "no id in Location, Content-Location or body") : null;
                        }
                        else
                        {
                            error = new ErrorSample("seed", ((int)response.StatusCode).ToString(), await ReadSnippetAsync(response, buffer, timeout.Token));
                        }
                    }
                    catch (Exception ex) when (!_stop.IsCancellationRequested && ex is OperationCanceledException or HttpRequestException or IOException)
                    {
                        error = new ErrorSample("seed", FailureKind(ex), Describe(ex));
                    }

                    if (!timeout.TryReset())
                    {
                        timeout.Dispose();
                        timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop);
                    }

                    if (id is not null)
                    {
                        lock (ids)
                        {
                            ids.Add(id);
                        }

                        Interlocked.Increment(ref created);
                    }
                    else if (error is not null)
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstError, error, null);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Ctrl+C during seeding.
            }
            finally
            {
                timeout.Dispose();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(_options.Concurrency, count)).Select(_ => Task.Run(SeedWorker)));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (ids, new SeedSummary(count, ids.Count, failed, Math.Round(seconds, 3)), firstError);
    }

    /// <summary>Runs the workload: warmup, then the measured window, bounded by duration and --max-requests.</summary>
    public async Task<RunResult> RunAsync(Workload workload, SeedSummary? seed)
    {
        var frequency = Stopwatch.Frequency;
        var startedUtc = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(_options.WarmupSeconds * frequency);
        var measureUntil = measureFrom + (long)(_options.DurationSeconds * frequency);
        var bounded = _options.MaxRequests.HasValue;
        var maxRequests = _options.MaxRequests ?? long.MaxValue;
        long issued = 0;

        var stats = new WorkerStats[_options.Concurrency];
        for (var i = 0; i < stats.Length; i++)
        {
            stats[i] = new WorkerStats(workload.Labels.Count);
        }

        async Task Worker(WorkerStats mine)
        {
            using var generator = new PatientGenerator();
            var buffer = new byte[16 * 1024];
            var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop);
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var now = Stopwatch.GetTimestamp();
                    if (now >= measureUntil)
                    {
                        break;
                    }

                    var measured = now >= measureFrom;
                    if (measured && bounded && Interlocked.Increment(ref issued) > maxRequests)
                    {
                        break;
                    }

                    using var request = workload.Next(generator, out var label);
                    timeout.CancelAfter(_timeout);
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                        var status = (int)response.StatusCode;
                        string? snippet = null;
                        if (status is >= 200 and <= 299 || !measured || Volatile.Read(ref _firstError) is not null)
                        {
                            await DrainAsync(response, buffer, timeout.Token);
                        }
                        else
                        {
                            snippet = await ReadSnippetAsync(response, buffer, timeout.Token);
                        }

                        var elapsed = Stopwatch.GetTimestamp() - sent;
                        if (measured)
                        {
                            mine.RecordResponse(label, status, workload.ExpectedStatus[label], elapsed);
                            if (snippet is not null)
                            {
                                Interlocked.CompareExchange(ref _firstError, new ErrorSample(workload.Labels[label], status.ToString(), snippet), null);
                            }
                        }
                    }
                    catch (Exception ex) when (!_stop.IsCancellationRequested && ex is OperationCanceledException or HttpRequestException or IOException)
                    {
                        var kind = FailureKind(ex);
                        if (measured)
                        {
                            mine.RecordFailure(label, kind);
                            Interlocked.CompareExchange(ref _firstError, new ErrorSample(workload.Labels[label], kind, Describe(ex)), null);
                        }

                        // Do not spin on a dead server: a refused connection fails in microseconds.
                        await Task.Delay(10, _stop);
                    }

                    if (!timeout.TryReset())
                    {
                        timeout.Dispose();
                        timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Ctrl+C: the request in flight is dropped, not counted.
            }
            finally
            {
                timeout.Dispose();
            }
        }

        var workers = Task.WhenAll(stats.Select(s => Task.Run(() => Worker(s))));
        var cpuAtMeasureStart = await ProgressAsync(workers, stats, measureFrom, measureUntil);
        await workers;
        var finished = Stopwatch.GetTimestamp();
        var cpuEnd = CpuTime();

        // Requests still in flight at the deadline finish (bounded by --timeout) and count, so the window
        // runs to the last completion; with --max-requests it may end early.
        var elapsed = Math.Max(finished - measureFrom, 1) / (double)frequency;
        var cpuPercent = (cpuEnd - cpuAtMeasureStart).TotalSeconds / elapsed * 100;

        var merged = WorkerStats.Merge(stats, workload.Labels.Count);
        List<BreakdownRow>? breakdown = null;
        if (workload.HasBreakdown)
        {
            breakdown = [];
            for (var i = 0; i < workload.Labels.Count; i++)
            {
                breakdown.Add(new BreakdownRow(workload.Labels[i], merged.LabelRequests[i], merged.LabelErrors[i], LatencySummary.From(merged.LabelLatency[i])));
            }
        }

        return new RunResult(
            Scenario: _options.Scenario.ToString().ToLowerInvariant(),
            BaseUrl: _options.BaseUrl.AbsoluteUri,
            Concurrency: _options.Concurrency,
            DurationSeconds: _options.DurationSeconds,
            WarmupSeconds: _options.WarmupSeconds,
            MaxRequests: _options.MaxRequests,
            ElapsedSeconds: Math.Round(elapsed, 3),
            Interrupted: _stop.IsCancellationRequested,
            TotalRequests: merged.Total,
            SuccessfulRequests: merged.Total - merged.Failed,
            ErrorCount: merged.Failed,
            Errors: merged.Errors,
            StatusCounts: merged.Statuses,
            UnexpectedStatusCount: merged.Unexpected,
            FirstError: _firstError,
            ThroughputRps: Math.Round(merged.Total / elapsed, 1),
            LatencyMs: LatencySummary.From(merged.Latency),
            Breakdown: breakdown,
            Seed: seed,
            DriverCpuPercent: Math.Round(cpuPercent, 1),
            ProcessorCount: Environment.ProcessorCount,
            StartedUtc: startedUtc);
    }

    /// <summary>Prints a progress line a second to stderr until the workers finish; returns CPU time at measure start.</summary>
    private static async Task<TimeSpan> ProgressAsync(Task workers, WorkerStats[] stats, long measureFrom, long measureUntil)
    {
        var untilMeasure = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measureFrom);
        if (untilMeasure > TimeSpan.Zero)
        {
            await Console.Error.WriteLineAsync($"  warmup {untilMeasure.TotalSeconds:0.#} s");
            await Task.WhenAny(workers, Task.Delay(untilMeasure));
        }

        var cpuAtMeasureStart = CpuTime();
        long previous = 0;
        var previousAt = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await Task.WhenAny(workers, timer.WaitForNextTickAsync().AsTask()) != workers)
        {
            long completed = 0, failed = 0;
            foreach (var worker in stats)
            {
                completed += worker.Completed;
                failed += worker.Failed;
            }

            var now = Stopwatch.GetTimestamp();
            var rate = (completed - previous) / Stopwatch.GetElapsedTime(previousAt, now).TotalSeconds;
            (previous, previousAt) = (completed, now);
            var at = Stopwatch.GetElapsedTime(measureFrom, Math.Min(now, measureUntil)).TotalSeconds;
            await Console.Error.WriteLineAsync($"  {at,5:0}s {completed,10} requests {rate,9:0} req/s {failed,6} errors");
        }

        return cpuAtMeasureStart;
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static async Task DrainAsync(HttpResponseMessage response, byte[] buffer, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        while (await stream.ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    /// <summary>Reads the start of an error body as one line of text, and drains the rest.</summary>
    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, byte[] buffer, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var length = 0;
        int read;
        while (length < SnippetBytes && (read = await stream.ReadAsync(buffer.AsMemory(length, SnippetBytes - length), cancellationToken)) > 0)
        {
            length += read;
        }

        while (await stream.ReadAsync(buffer.AsMemory(SnippetBytes), cancellationToken) > 0)
        {
        }

        var text = string.Join(' ', Encoding.UTF8.GetString(buffer, 0, length).Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (text.Length == 0)
        {
            return "(empty body)";
        }

        return text.Length > SnippetChars ? text[..SnippetChars] + "..." : text;
    }

    /// <summary>Finds the new id: Location / Content-Location ".../Patient/{id}/_history/{v}", else the body's "id".</summary>
    private static async Task<string?> ReadCreatedIdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var id = IdFromLocation(response.Headers.Location?.OriginalString)
            ?? IdFromLocation(response.Content.Headers.ContentLocation?.OriginalString);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        if (id is not null)
        {
            await stream.CopyToAsync(Stream.Null, cancellationToken);
            return id;
        }

        try
        {
            using var body = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
            return body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("id", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? IdFromLocation(string? location)
    {
        if (string.IsNullOrEmpty(location))
        {
            return null;
        }

        var path = location.Split('?', '#')[0];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.LastIndexOf(segments, "Patient");
        return at >= 0 && at + 1 < segments.Length ? Uri.UnescapeDataString(segments[at + 1]) : null;
    }

    private string Describe(Exception ex)
    {
        if (ex is OperationCanceledException)
        {
            return $"no complete response within {_timeout.TotalSeconds:0.###} s (--timeout)";
        }

        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" -> ", messages.Distinct());
    }

    private static string FailureKind(Exception ex) => ex switch
    {
        OperationCanceledException => "timeout",
        HttpRequestException http => http.HttpRequestError.ToString(),
        _ => "IOError",
    };
}
