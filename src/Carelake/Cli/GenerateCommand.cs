using System.CommandLine;
using Carelake.Core.Generation;
using Spectre.Console;

namespace Carelake.Cli;

internal static class GenerateCommand
{
    public static Command Create()
    {
        var patients = new Option<int>("--patients") { Description = "Number of patients.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same data.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Output folder for <Type>.ndjson files.", Required = true };
        var now = new Option<DateTimeOffset?>("--reference-date") { Description = "The 'today' of the generated records (default 2026-01-01)." };
        var command = new Command("generate", "Generate realistic synthetic patients as NDJSON (deterministic for a seed).") { patients, seed, output, now };
        command.SetAction((parse, cancellationToken) =>
        {
            var count = parse.GetValue(patients);
            if (count < 1)
            {
                Console.Error.WriteLine("--patients must be at least 1.");
                return Task.FromResult(2);
            }

            var generator = new SyntheticDataGenerator(parse.GetValue(seed), parse.GetValue(now) ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            var outDir = parse.GetValue(output)!;
            GenerationSummary? summary = null;
            var started = System.Diagnostics.Stopwatch.StartNew();
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("Generating", maxValue: count);
                    var patientsSeen = 0;
                    summary = NdjsonWriter.Write(
                        generator.Generate(count).Select(r =>
                        {
                            if (r is Hl7.Fhir.Model.Patient)
                            {
                                task.Value = ++patientsSeen;
                            }

                            return r;
                        }),
                        outDir,
                        null,
                        cancellationToken);
                    task.Value = count;
                });

            var table = new Table().AddColumn("Resource type").AddColumn(new TableColumn("Count").RightAligned());
            foreach (var (type, n) in summary!.CountsByType.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                table.AddRow(type, n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            Console.WriteLine($"{summary.Total:N0} resources written to {Path.GetFullPath(outDir)} in {started.Elapsed.TotalSeconds:F1} s.");
            return Task.FromResult(0);
        });
        return command;
    }
}
