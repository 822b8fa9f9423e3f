namespace Carelake.Hosting;

/// <summary>Carelake:Database (environment Carelake__Database__*): the PostgreSQL provider and its connection pool.</summary>
public sealed class DatabaseOptions
{
    /// <summary>An Npgsql connection string; empty (default) keeps the embedded SQLite file in the data folder.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Connections one node opens at most (unless the connection string sets Maximum Pool Size).</summary>
    public int MaxPoolSize { get; set; } = 50;

    /// <summary>Seconds a request waits for a connection before it is answered 503 (unless the connection string sets Timeout).</summary>
    public int ConnectTimeoutSeconds { get; set; } = 15;

    public bool IsPostgres => !string.IsNullOrWhiteSpace(ConnectionString);
}
