using System.CommandLine;
using Carelake.Cli;

var root = new RootCommand("Carelake — an open-source healthcare data platform with a FHIR R4 server at its heart.")
{
    ServeCommand.Create(),
    ImportCommand.Create(),
    GenerateCommand.Create(),
    DbCommand.Create(),
    AuthCommands.Users(),
    AuthCommands.Clients(),
    AuthCommands.Keys(),
    AuditCommands.Audit(),
    AuditCommands.Compliance(),
};
// On SIGTERM/Ctrl+C System.CommandLine cancels the command's token and, by default, ends the process 2 s later —
// before `serve` has drained requests and signed its shutdown audit checkpoint (the host allows itself 30 s).
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(45) };
return await root.Parse(args).InvokeAsync(invocation);
