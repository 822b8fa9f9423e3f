using System.CommandLine;
using Carelake.Hosting;

namespace Carelake.Cli;

/// <summary>Options shared by commands that open a data directory, and how configuration layers are combined.</summary>
internal static class CommonOptions
{
    public static Option<string?> DataDir() => new("--data-dir")
    {
        Description = "Folder for the database and files (default ./carelake-data; config Carelake:DataDir).",
    };

    public static Option<string?> Database() => new("--database")
    {
        Description = "PostgreSQL connection string (Host=…;Database=…;Username=…) instead of the SQLite file (config Carelake:Database:ConnectionString).",
    };

    /// <summary>appsettings.json, then environment variables (Carelake__DataDir …), then the command's flags.</summary>
    public static CarelakeOptions Load(Action<CarelakeOptions> applyFlags)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = new CarelakeOptions();
        configuration.GetSection(CarelakeOptions.Section).Bind(options);
        applyFlags(options);
        return options;
    }

    /// <returns>Exit code 2 with every problem listed when the configuration is invalid; null when it is valid.</returns>
    public static int? ReportInvalid(CarelakeOptions options)
    {
        var errors = options.Validate();
        if (errors.Count == 0)
        {
            return null;
        }

        Console.Error.WriteLine("Carelake cannot start: the configuration is invalid.");
        foreach (var error in errors)
        {
            Console.Error.WriteLine($"  - {error}");
        }

        return 2;
    }
}
