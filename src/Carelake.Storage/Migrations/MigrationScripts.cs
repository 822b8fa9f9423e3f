using System.Globalization;

namespace Carelake.Storage.Migrations;

/// <summary>The numbered SQL scripts embedded for one engine (Migrations/{engine}/NNNN_name.sql), in order.</summary>
internal static class MigrationScripts
{
    public sealed record Script(int Version, string Name, string Sql);

    public static IReadOnlyList<Script> For(string engine)
    {
        var prefix = $"Carelake.Storage.Migrations.{engine}.";
        var assembly = typeof(MigrationScripts).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(resource =>
            {
                var name = resource[prefix.Length..];
                var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                using var stream = assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"Missing migration {resource}.");
                using var reader = new StreamReader(stream);
                return new Script(version, name, reader.ReadToEnd());
            })
            .OrderBy(s => s.Version)
            .ToList();
    }
}
