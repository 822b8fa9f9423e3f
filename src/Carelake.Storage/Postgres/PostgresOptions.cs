namespace Carelake.Storage.Postgres;

public sealed record PostgresOptions
{
    /// <summary>An Npgsql connection string (Host=…;Database=…;Username=…). Pool keywords in it win over the settings below.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Connections this node opens at most; N nodes need N × this within the server's max_connections.</summary>
    public int MaxPoolSize { get; init; } = 50;

    /// <summary>
    /// Seconds a request waits for a free connection (or for the server to accept one) before it is answered 503.
    /// </summary>
    public int ConnectTimeoutSeconds { get; init; } = 15;

    /// <summary>Index rows of one write unit from which they are written with binary COPY instead of INSERT … unnest.</summary>
    public int CopyThreshold { get; init; } = 2000;

    /// <summary>Units that carry only audit records commit with synchronous_commit off (no wait for the WAL flush; the WAL writer flushes them within a fraction of a second).</summary>
    public bool AuditOnlyWithoutFsync { get; init; }

    /// <summary>Attempts of a write unit that failed on a serialisation failure or deadlock (it is retried whole).</summary>
    public int MaxWriteAttempts { get; init; } = 6;
}
