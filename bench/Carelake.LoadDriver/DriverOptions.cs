using System.Globalization;

namespace Carelake.LoadDriver;

public enum Scenario
{
    Create,
    Read,
    Search,
    Mixed,
}

/// <summary>Command line options, parsed by hand (the project takes no package references).</summary>
public sealed class DriverOptions
{
    public const string DefaultBaseUrl = "http://127.0.0.1:8080/fhir";

    public const string Usage = """
        Carelake load driver: closed-loop HTTP load against a FHIR R4 server on this machine.

        Usage:
          dotnet run -c Release --project bench/Carelake.LoadDriver -- <scenario> [options]

        Scenarios:
          create   POST generated Patient resources (Prefer: return=minimal), expects 201
          read     create --seed-count patients first, then GET Patient/{id} at random, expects 200
          search   GET the lines of --queries FILE (or a built-in Patient mix) at random, expects 200;
                   also reports latency per query line
          mixed    80% read / 20% create (seeds like read)

        Options:
          --base URL            FHIR base URL, loopback hosts only (default http://127.0.0.1:8080/fhir)
          --concurrency N       concurrent workers, each sending one request at a time (default 8)
          --duration SECONDS    measured duration (default 10)
          --warmup SECONDS      load before measuring, results discarded (default 2)
          --max-requests N      stop after N measured requests (default: no limit)
          --seed-count N        patients created before the run (read/mixed default 1000, search default 0)
          --queries FILE        search: one relative URL per line, e.g. Patient?family=smith&_count=10;
                                blank lines and lines starting with # are ignored
          --header 'Name: v'    extra request header, repeatable (e.g. 'Authorization: Bearer ...')
          --timeout SECONDS     per-request timeout, counted as an error (default 30)
          --json FILE           also write the results as JSON to FILE
          -h, --help            show this text

        Exit codes: 0 run completed without errors, 1 run completed with errors or could not run,
                    2 bad arguments or a base URL that is not on this machine.
        """;

    public Scenario Scenario { get; private set; }

    public Uri BaseUrl { get; private set; } = new(DefaultBaseUrl);

    public int Concurrency { get; private set; } = 8;

    public double DurationSeconds { get; private set; } = 10;

    public double WarmupSeconds { get; private set; } = 2;

    public long? MaxRequests { get; private set; }

    public int SeedCount { get; private set; }

    public string? QueriesFile { get; private set; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    public double TimeoutSeconds { get; private set; } = 30;

    public string? JsonFile { get; private set; }

    public bool ShowHelp { get; private set; }

    private readonly List<KeyValuePair<string, string>> _headers = [];

    /// <summary>Parses <paramref name="args"/>; on failure returns null and sets <paramref name="error"/>.</summary>
    public static DriverOptions? Parse(string[] args, out string? error)
    {
        var options = new DriverOptions();
        string? scenario = null;
        string? baseUrl = null;
        int? seedCount = null;
        error = null;

        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "-?")
            {
                options.ShowHelp = true;
                return options;
            }

            if (!arg.StartsWith('-'))
            {
                if (scenario is not null)
                {
                    error = $"unexpected argument '{arg}' (scenario already given as '{scenario}')";
                    return null;
                }

                scenario = arg;
                continue;
            }

            // Accept both "--name value" and "--name=value".
            string name;
            string? value;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
                value = i + 1 < args.Length ? args[++i] : null;
            }

            if (value is null)
            {
                error = $"option {name} needs a value";
                return null;
            }

            switch (name)
            {
                case "--base":
                    baseUrl = value;
                    break;
                case "--concurrency":
                    if (!TryInt(name, value, 1, 10_000, out var concurrency, out error))
                    {
                        return null;
                    }

                    options.Concurrency = concurrency;
                    break;
                case "--duration":
                    if (!TrySeconds(name, value, allowZero: false, out var duration, out error))
                    {
                        return null;
                    }

                    options.DurationSeconds = duration;
                    break;
                case "--warmup":
                    if (!TrySeconds(name, value, allowZero: true, out var warmup, out error))
                    {
                        return null;
                    }

                    options.WarmupSeconds = warmup;
                    break;
                case "--timeout":
                    if (!TrySeconds(name, value, allowZero: false, out var timeout, out error))
                    {
                        return null;
                    }

                    options.TimeoutSeconds = timeout;
                    break;
                case "--max-requests":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max < 1)
                    {
                        error = $"{name} must be a positive integer, not '{value}'";
                        return null;
                    }

                    options.MaxRequests = max;
                    break;
                case "--seed-count":
                    if (!TryInt(name, value, 0, 10_000_000, out var seed, out error))
                    {
                        return null;
                    }

                    seedCount = seed;
                    break;
                case "--queries":
                    options.QueriesFile = value;
                    break;
                case "--json":
                    options.JsonFile = value;
                    break;
                case "--header":
                    var colon = value.IndexOf(':', StringComparison.Ordinal);
                    var headerName = colon > 0 ? value[..colon].Trim() : "";
                    if (headerName.Length == 0)
                    {
                        error = $"--header must look like 'Name: value', not '{value}'";
                        return null;
                    }

                    options._headers.Add(new(headerName, value[(colon + 1)..].Trim()));
                    break;
                default:
                    error = $"unknown option '{name}'";
                    return null;
            }
        }

        switch (scenario?.ToLowerInvariant())
        {
            case null:
                error = "missing scenario (create, read, search or mixed)";
                return null;
            case "create":
                options.Scenario = Scenario.Create;
                break;
            case "read":
                options.Scenario = Scenario.Read;
                break;
            case "search":
                options.Scenario = Scenario.Search;
                break;
            case "mixed":
                options.Scenario = Scenario.Mixed;
                break;
            default:
                error = $"unknown scenario '{scenario}' (create, read, search or mixed)";
                return null;
        }

        options.SeedCount = seedCount ?? options.Scenario switch
        {
            Scenario.Read or Scenario.Mixed => 1000,
            _ => 0,
        };
        if (options.SeedCount == 0 && options.Scenario is Scenario.Read or Scenario.Mixed)
        {
            error = $"{options.Scenario.ToString().ToLowerInvariant()} needs --seed-count of at least 1";
            return null;
        }

        if (options.QueriesFile is not null && options.Scenario != Scenario.Search)
        {
            error = "--queries applies to the search scenario only";
            return null;
        }

        var url = LoopbackGuard.CheckBaseUrl(baseUrl ?? DefaultBaseUrl, out error);
        if (url is null)
        {
            return null;
        }

        options.BaseUrl = url;
        return options;
    }

    private static bool TryInt(string name, string value, int min, int max, out int result, out string? error)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result >= min && result <= max)
        {
            error = null;
            return true;
        }

        error = $"{name} must be an integer from {min} to {max}, not '{value}'";
        return false;
    }

    private static bool TrySeconds(string name, string value, bool allowZero, out double result, out string? error)
    {
        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out result)
            && (result > 0 || (allowZero && result == 0))
            && result <= 7 * 24 * 3600)
        {
            error = null;
            return true;
        }

        error = $"{name} must be a number of seconds{(allowZero ? "" : " above 0")}, not '{value}'";
        return false;
    }
}
