using System.CommandLine;
using Carelake.Hosting;
using Carelake.Storage.Postgres;

namespace Carelake.Cli;

/// <summary><c>carelake db migrate</c>: applies pending schema migrations, for operators who run them before rolling out nodes.</summary>
internal static class DbCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var database = CommonOptions.Database();
        var migrate = new Command("migrate", "Apply pending schema migrations (PostgreSQL: under an advisory lock, safe while nodes start).") { dataDir, database };
        migrate.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommonOptions.Load(o =>
            {
                o.DataDir = parse.GetValue(dataDir) ?? o.DataDir;
                o.Database.ConnectionString = parse.GetValue(database) ?? o.Database.ConnectionString;
            });
            if (CommonOptions.ReportInvalid(options) is { } exit)
            {
                return exit;
            }

            if (CarelakeServices.CreateStore(options) is PostgresResourceStore postgres)
            {
                await using (postgres)
                {
                    var applied = await postgres.MigrateAsync(cancellationToken);
                    Console.WriteLine(applied.Count == 0 ? "The schema is up to date." : $"Applied {applied.Count} migrations: {string.Join(", ", applied)}.");
                }

                return 0;
            }

            // SQLite migrates whenever the file is opened.
            await using var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, cancellationToken);
            Console.WriteLine($"The schema of {Path.GetFullPath(options.DatabasePath)} is up to date.");
            return 0;
        });
        return new Command("db", "Database administration.") { migrate };
    }
}
