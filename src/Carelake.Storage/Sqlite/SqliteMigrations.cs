using Carelake.Storage.Migrations;
using Microsoft.Data.Sqlite;

namespace Carelake.Storage.Sqlite;

/// <summary>Applies the embedded, numbered SQL scripts in order, each in its own transaction, recording each one.</summary>
internal static class SqliteMigrations
{
    public static int Apply(SqliteConnection connection)
    {
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        var applied = new HashSet<int>();
        using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT version FROM schema_migration";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        var scripts = MigrationScripts.For("sqlite");

        var count = 0;
        foreach (var script in scripts.Where(s => !applied.Contains(s.Version)))
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            Execute(connection, transaction, script.Sql);
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_migration (version, name, applied_at) VALUES ($v, $n, $t)";
            record.Parameters.AddWithValue("$v", script.Version);
            record.Parameters.AddWithValue("$n", script.Name);
            record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
            record.ExecuteNonQuery();
            transaction.Commit();
            count++;
        }

        return count;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
