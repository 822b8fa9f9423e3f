using System.CommandLine;
using Carelake.Hosting;
using Carelake.Import;
using Spectre.Console;

namespace Carelake.Cli;

internal static class ImportCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Files or folders of FHIR JSON (.json resources or Bundles, .ndjson).", Arity = ArgumentArity.OneOrMore };
        var dataDir = CommonOptions.DataDir();
        var database = CommonOptions.Database();
        var parallel = new Option<int>("--parallel") { Description = "Files imported at once.", DefaultValueFactory = _ => Math.Max(2, Environment.ProcessorCount) };
        var command = new Command("import", "Import FHIR resources into the local database (the server need not run).") { paths, dataDir, database, parallel };
        command.SetAction(async (parse, cancellationToken) =>
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

            IReadOnlyList<string> files;
            try
            {
                files = ResourceImporter.FindFiles(parse.GetValue(paths)!);
            }
            catch (FileNotFoundException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }

            await using var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, cancellationToken);
            var importer = new ResourceImporter(services);
            var summary = new ImportSummary();
            var totalBytes = files.Sum(f => new FileInfo(f).Length);
            var started = System.Diagnostics.Stopwatch.StartNew();
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"Importing {files.Count} files", maxValue: Math.Max(1, totalBytes));
                    await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(parallel)), CancellationToken = cancellationToken },
                        async (file, ct) => await importer.ImportFileAsync(file, summary, bytes => task.Increment(bytes), ct));
                });

            var table = new Table().AddColumn("Resource type").AddColumn(new TableColumn("Created").RightAligned())
                .AddColumn(new TableColumn("Updated").RightAligned()).AddColumn(new TableColumn("Failed").RightAligned());
            foreach (var (type, counts) in summary.ByType.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                table.AddRow(type, counts.Created.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    counts.Updated.ToString(System.Globalization.CultureInfo.InvariantCulture), counts.Failed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            var seconds = Math.Max(0.001, started.Elapsed.TotalSeconds);
            Console.WriteLine($"Imported {files.Count} files in {seconds:F1} s: {summary.Created} created, {summary.Updated} updated, {summary.Failed} failed ({(summary.Created + summary.Updated) / seconds:F0} resources/s).");
            if (summary.Failures.Count > 0)
            {
                Console.Error.WriteLine("Failures:");
                foreach (var failure in summary.Failures.Take(200))
                {
                    Console.Error.WriteLine($"  {failure}");
                }

                if (summary.Failures.Count > 200)
                {
                    Console.Error.WriteLine($"  … and {summary.Failures.Count - 200} more.");
                }

                return 1;
            }

            return 0;
        });
        return command;
    }
}
