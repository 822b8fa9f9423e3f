namespace Carelake.Hosting;

/// <summary>Server configuration: appsettings.json section "Carelake", environment variables Carelake__*, then flags.</summary>
public sealed class CarelakeOptions
{
    public const string Section = "Carelake";

    public string DataDir { get; set; } = "./carelake-data";

    public string Urls { get; set; } = "http://localhost:8080";

    /// <summary>Path of the FHIR API under the host.</summary>
    public string BasePath { get; set; } = "/fhir";

    public bool Demo { get; set; }

    public int DemoPatients { get; set; } = 100;

    /// <summary>Developer mode: authentication off (every request is treated as an administrator); the only way to switch it off.</summary>
    public bool Dev { get; set; }

    /// <summary>How many resources one conditional DELETE may remove: 1 (single, default) or more (multiple).</summary>
    public int ConditionalDeleteMax { get; set; } = 1;

    /// <summary>
    /// A static bearer token that acts as an administrator (automation, recovery) beside OAuth tokens; unset by default.
    /// Never in a file in the repo: use the environment.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>Authorization server and token settings (section Carelake:Auth); see docs/security.md.</summary>
    public Security.AuthOptions Auth { get; set; } = new();

    /// <summary>The audit trail (section Carelake:Audit): signing key, checkpoints, retention; see docs/audit.md.</summary>
    public Audit.AuditOptions Audit { get; set; } = new();

    /// <summary>Transport security (section Carelake:Tls): certificate, proxy; see docs/security.md.</summary>
    public Security.TlsOptions Tls { get; set; } = new();

    /// <summary>Folder of the built web app (index.html, assets/); default <c>wwwroot</c> beside the executable.</summary>
    public string? WebRoot { get; set; }

    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    public int MaxBundleEntries { get; set; } = 10_000;

    public int DefaultPageSize { get; set; } = 20;

    public int MaxPageSize { get; set; } = 1000;

    /// <summary>SQLite durability: FULL (power-loss safe, default) or NORMAL (process-crash safe).</summary>
    public string SqliteSynchronous { get; set; } = "FULL";

    /// <summary>
    /// Validation of writes beyond the strict parse: none (default), core (every write against the R4 core
    /// definitions) or profiles-in-meta (writes claiming a profile this server knows, against it).
    /// </summary>
    public string Validation { get; set; } = "none";

    public Core.Validation.ValidationPolicy ValidationPolicy => Validation.ToLowerInvariant() switch
    {
        "none" => Core.Validation.ValidationPolicy.None,
        "core" => Core.Validation.ValidationPolicy.Core,
        "profiles-in-meta" => Core.Validation.ValidationPolicy.ProfilesInMeta,
        _ => Core.Validation.ValidationPolicy.None,
    };

    public string DatabasePath => Path.Combine(DataDir, "carelake.db");

    /// <summary>Carelake:Database — PostgreSQL instead of the embedded SQLite file when a connection string is set.</summary>
    public DatabaseOptions Database { get; set; } = new();

    /// <summary>The authorization server's database (users, clients, tokens), apart from the FHIR data.</summary>
    public string AuthDatabasePath => Path.Combine(DataDir, "auth.db");

    /// <summary>Every problem with the configuration, in words an operator can act on; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDir))
        {
            errors.Add("Carelake:DataDir (--data-dir) must name a folder.");
        }

        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"Carelake:Urls (--urls) has '{url}', which is not an http:// or https:// URL.");
            }
        }

        if (!BasePath.StartsWith('/') || BasePath.EndsWith('/') || BasePath.Length < 2)
        {
            errors.Add($"Carelake:BasePath must start with '/' and not end with one (got '{BasePath}').");
        }

        if (MaxRequestBodyBytes < 1024)
        {
            errors.Add("Carelake:MaxRequestBodyBytes must be at least 1024.");
        }

        if (MaxBundleEntries < 1)
        {
            errors.Add("Carelake:MaxBundleEntries must be at least 1.");
        }

        if (DefaultPageSize < 1 || MaxPageSize < DefaultPageSize)
        {
            errors.Add("Carelake:DefaultPageSize must be at least 1 and at most Carelake:MaxPageSize.");
        }

        if (DemoPatients < 1)
        {
            errors.Add("Carelake:DemoPatients must be at least 1.");
        }

        if (ConditionalDeleteMax is < 1 or > 10_000)
        {
            errors.Add("Carelake:ConditionalDeleteMax must be between 1 and 10000.");
        }

        if (AdminToken is { Length: > 0 and < 16 })
        {
            errors.Add("Carelake:AdminToken must be at least 16 characters (use a random secret).");
        }

        if (Validation.ToLowerInvariant() is not ("none" or "core" or "profiles-in-meta"))
        {
            errors.Add($"Carelake:Validation must be none, core or profiles-in-meta (got '{Validation}').");
        }

        if (SqliteSynchronous.ToUpperInvariant() is not ("FULL" or "NORMAL" or "EXTRA"))
        {
            errors.Add($"Carelake:SqliteSynchronous must be FULL, NORMAL or EXTRA (got '{SqliteSynchronous}').");
        }

        if (Database.ConnectionString is { Length: > 0 } connectionString)
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException)
            {
                errors.Add("Carelake:Database:ConnectionString (--database) is not a valid PostgreSQL connection string (Host=…;Database=…;Username=…).");
            }
        }

        if (Database.MaxPoolSize < 1 || Database.ConnectTimeoutSeconds < 1)
        {
            errors.Add("Carelake:Database:MaxPoolSize and Carelake:Database:ConnectTimeoutSeconds must be at least 1.");
        }

        errors.AddRange(Audit.Problems(Dev));
        errors.AddRange(Tls.Problems(Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Dev));
        if (Auth.AccessTokenMinutes is < 1 or > 1440 || Auth.RefreshTokenHours is < 1 or > 24 * 90 || Auth.IdleTimeoutMinutes <= 0 || Auth.JwksCacheMinutes < 1 || Auth.JwksRefetchSeconds < 0 || Auth.LockoutThreshold < 1 || Auth.LockoutMinutes < 1 || Auth.BreakGlassMinutes < 1 || Auth.RateLimitPerMinute < 1)
        {
            errors.Add("Carelake:Auth: token lifetimes, IdleTimeoutMinutes, JwksCacheMinutes, LockoutThreshold, LockoutMinutes, BreakGlassMinutes and RateLimitPerMinute must be positive (AccessTokenMinutes at most 1440).");
        }

        if (Auth.External is { } external && (!Uri.TryCreate(external.Authority, UriKind.Absolute, out _) || string.IsNullOrEmpty(external.Audience)))
        {
            errors.Add("Carelake:Auth:External needs an absolute Authority URL and an Audience.");
        }

        return errors;
    }
}
