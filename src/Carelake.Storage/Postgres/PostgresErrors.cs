using System.Net.Sockets;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;
using Npgsql;

namespace Carelake.Storage.Postgres;

/// <summary>
/// Which database failures mean "the database is not reachable right now" (restart, failover, network, a full pool):
/// those are answered 503 so clients and load balancers retry, never 500. Everything else stays a bug.
/// </summary>
internal static class PostgresErrors
{
    public static bool IsRetryableConflict(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
            || p.SqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources, too many connections
            || p.SqlState.StartsWith("57P", StringComparison.Ordinal) // admin/crash shutdown, cannot connect now
            || p.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction, // a standby after failover
        NpgsqlException => true, // the connection broke, could not be opened, or the pool stayed exhausted
        SocketException or IOException or TimeoutException => true,
        InvalidOperationException when exception.InnerException is { } inner => IsUnavailable(inner),
        _ => false,
    };

    public static FhirException Unavailable() =>
        new(503, OperationOutcome.IssueType.Transient, "The database is not available at the moment; retry shortly.");
}
