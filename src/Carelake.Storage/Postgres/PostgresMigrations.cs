using Carelake.Storage.Migrations;
using Npgsql;

namespace Carelake.Storage.Postgres;

/// <summary>
/// Applies the embedded PostgreSQL scripts (Migrations/postgres) under a session-level advisory lock, so several
/// nodes starting at once apply each script exactly once: the others wait, then find it recorded.
/// </summary>
internal static class PostgresMigrations
{
    private const long LockKey = 0x4361_7265_6C61_6B65; // "Carelake"

    public static async Task<IReadOnlyList<string>> ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null, "CREATE TABLE IF NOT EXISTS schema_migration (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
            var applied = new HashSet<int>();
            await using (var select = new NpgsqlCommand("SELECT version FROM schema_migration", connection))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var done = new List<string>();
            foreach (var script in MigrationScripts.For("postgres").Where(s => !applied.Contains(s.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, transaction, script.Sql, cancellationToken);
                await using var record = new NpgsqlCommand("INSERT INTO schema_migration (version, name) VALUES (@v, @n)", connection, transaction);
                record.Parameters.AddWithValue("v", script.Version);
                record.Parameters.AddWithValue("n", script.Name);
                await record.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                done.Add(script.Name);
            }

            return done;
        }
        finally
        {
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
