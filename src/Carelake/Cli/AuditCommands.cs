using System.CommandLine;
using Carelake.Audit;
using Carelake.Core.Audit;
using Carelake.Hosting;
using Carelake.Storage.SearchSql;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carelake.Cli;

/// <summary><c>carelake audit verify|export|checkpoint</c> and <c>carelake compliance report</c>, on a data folder or database directly.</summary>
internal static class AuditCommands
{
    private static readonly System.Text.Json.JsonSerializerOptions ReportJson = new() { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };

    public static Command Audit()
    {
        var verify = new Command("verify", "Check the audit trail's hash chain and signed checkpoints; exit code 1 names the first bad position.");
        var (dataDir, database, keyFile) = AddCommon(verify);
        verify.SetAction(async (parse, cancellationToken) =>
        {
            var options = Load(parse, dataDir, database, keyFile);
            if (CommonOptions.ReportInvalid(options) is { } invalid)
            {
                return invalid;
            }

            if (!options.Database.IsPostgres && !File.Exists(options.DatabasePath))
            {
                Console.Error.WriteLine($"No database at {Path.GetFullPath(options.DatabasePath)}.");
                return 2;
            }

            await using var log = OpenLog(options);
            using var signer = AuditSigner.Open(options.Audit.KeyFilePath(options.DataDir), create: false);
            var result = await AuditVerifier.VerifyAsync(log, signer?.Key, signer?.ReadHead(), cancellationToken);
            if (result.Intact)
            {
                Console.WriteLine(result.Message);
                if (signer is null)
                {
                    Console.WriteLine("Warning: no signing key found; checkpoints were not checked (--key-file).");
                }

                if (!options.Database.IsPostgres && Storage.Sqlite.SqliteResourceStore.JournaledAuditRecords(options.DatabasePath) is > 0 and var journaled)
                {
                    // Left by a server that is running, or that crashed: chained (and then verifiable) when it next starts.
                    Console.WriteLine($"Note: {journaled} audit records are in the read-record journal beside the database, not yet in the chain.");
                }

                return 0;
            }

            Console.Error.WriteLine($"TAMPERED: first bad position {result.FirstBadSeq}. {result.Message}");
            return 1;
        });

        var export = new Command("export", "Write the audit trail as NDJSON (one AuditEvent per line, oldest first) for a SIEM.");
        var (exportDataDir, exportDatabase, _) = AddCommon(export);
        var output = new Option<string?>("--out") { Description = "File to write (default: standard output)." };
        var since = new Option<string?>("--since") { Description = "Only records at or after this FHIR date/dateTime (e.g. 2026-01-01)." };
        var after = new Option<long?>("--after-position") { Description = "Only records after this chain position (incremental exports)." };
        export.Options.Add(output);
        export.Options.Add(since);
        export.Options.Add(after);
        export.SetAction(async (parse, cancellationToken) =>
        {
            var options = Load(parse, exportDataDir, exportDatabase, null);
            if (CommonOptions.ReportInvalid(options) is { } invalid)
            {
                return invalid;
            }

            long? from = null;
            if (parse.GetValue(since) is { } text)
            {
                if (!Core.Search.FhirDateRange.TryParse(text, out var range))
                {
                    Console.Error.WriteLine($"--since '{text}' is not a FHIR date.");
                    return 2;
                }

                from = range.Low;
            }

            await using var log = OpenLog(options);
            var path = parse.GetValue(output);
            await using var stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
            long cursor = parse.GetValue(after) ?? 0;
            long written = 0;
            while (true)
            {
                var page = await log.SearchAsync(new AuditQuery([], from, null, 1000, OldestFirst: true, After: cursor), cancellationToken);
                foreach (var hit in page)
                {
                    await stream.WriteAsync(hit.Payload, cancellationToken);
                    stream.WriteByte((byte)'\n');
                    cursor = hit.Seq;
                    written++;
                }

                if (page.Count < 1000)
                {
                    break;
                }
            }

            if (path is not null)
            {
                Console.WriteLine($"Exported {written} audit records to {path} (through position {cursor}).");
            }

            return 0;
        });

        var checkpoint = new Command("checkpoint", "Sign the current head of the audit trail now (the server does this periodically).");
        var (cpDataDir, cpDatabase, cpKeyFile) = AddCommon(checkpoint);
        checkpoint.SetAction(async (parse, cancellationToken) =>
        {
            var options = Load(parse, cpDataDir, cpDatabase, cpKeyFile);
            if (CommonOptions.ReportInvalid(options) is { } invalid)
            {
                return invalid;
            }

            await using var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, cancellationToken);
            using var trail = new AuditTrail(services, options, TimeProvider.System, NullLogger<AuditTrail>.Instance);
            var signed = await trail.CheckpointAsync(cancellationToken);
            Console.WriteLine(signed is null ? "Nothing new to sign." : $"Signed the audit trail through position {signed.Seq}.");
            return 0;
        });

        return new Command("audit", "The tamper-evident audit trail (docs/audit.md).") { verify, export, checkpoint };
    }

    public static Command Compliance()
    {
        var report = new Command("report", "Check the configuration against the HIPAA technical safeguards; exit code 1 when any check fails.");
        var (dataDir, database, keyFile) = AddCommon(report);
        var json = new Option<bool>("--json") { Description = "Print JSON (as the admin API /admin/compliance does)." };
        var dev = new Option<bool>("--dev") { Description = "Report on a --dev configuration." };
        report.Options.Add(json);
        report.Options.Add(dev);
        report.SetAction(async (parse, cancellationToken) =>
        {
            var options = Load(parse, dataDir, database, keyFile);
            options.Dev |= parse.GetValue(dev);
            if (CommonOptions.ReportInvalid(options) is { } invalid)
            {
                return invalid;
            }

            await using var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, cancellationToken);
            var checks = await new ComplianceReport(options, services).RunAsync(cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { passed = checks.All(c => c.Passed), checks }, ReportJson));
            }
            else
            {
                foreach (var check in checks)
                {
                    Console.WriteLine($"{(check.Passed ? "PASS" : "FAIL")}  {check.Id,-22} {check.Safeguard}");
                    Console.WriteLine($"      {check.Finding}");
                    if (!check.Passed)
                    {
                        Console.WriteLine($"      Remediation: {check.Remediation}");
                    }
                }

                Console.WriteLine($"{checks.Count(c => c.Passed)} of {checks.Count} safeguards pass.");
            }

            return checks.All(c => c.Passed) ? 0 : 1;
        });
        return new Command("compliance", "HIPAA technical safeguards report.") { report };
    }

    private static (Option<string?> DataDir, Option<string?> Database, Option<string?> KeyFile) AddCommon(Command command)
    {
        var dataDir = CommonOptions.DataDir();
        var database = CommonOptions.Database();
        var keyFile = new Option<string?>("--key-file") { Description = "The audit checkpoint signing key (default <data-dir>/audit-signing-key.pem; config Carelake:Audit:KeyFile)." };
        command.Options.Add(dataDir);
        command.Options.Add(database);
        command.Options.Add(keyFile);
        return (dataDir, database, keyFile);
    }

    private static CarelakeOptions Load(ParseResult parse, Option<string?> dataDir, Option<string?> database, Option<string?>? keyFile) =>
        CommonOptions.Load(o =>
        {
            o.DataDir = parse.GetValue(dataDir) ?? o.DataDir;
            o.Database.ConnectionString = parse.GetValue(database) ?? o.Database.ConnectionString;
            if (keyFile is not null)
            {
                o.Audit.KeyFile = parse.GetValue(keyFile) ?? o.Audit.KeyFile;
            }
        });

    private static SqlAuditLog OpenLog(CarelakeOptions options) =>
        options.Database.IsPostgres ? SqlAuditLog.Postgres(options.Database.ConnectionString!) : SqlAuditLog.Sqlite(options.DatabasePath);
}
