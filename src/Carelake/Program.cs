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
return await root.Parse(args).InvokeAsync();
