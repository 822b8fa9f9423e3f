using System.Text.Json.Nodes;
using Carelake.Core.Generation;

namespace Carelake.Core.Tests.Generation;

/// <summary>
/// One generated data set (a few hundred patients, written as NDJSON) shared by the tests of a class, because
/// generating and parsing it is the expensive part.
/// </summary>
public sealed class GeneratedDataSetFixture : IDisposable
{
    public const int Seed = 20250601;
    public const int Patients = 300;

    // A non-UTC offset, to show that all dates follow the reference clock and not the machine's.
    public static readonly DateTimeOffset ReferenceNow = new(2025, 6, 1, 14, 30, 0, TimeSpan.FromHours(-4));

    private readonly Lazy<IReadOnlyList<JsonObject>> _resources;

    public GeneratedDataSetFixture()
    {
        Directory = TempDirectory.Create();
        Summary = NdjsonWriter.Write(new SyntheticDataGenerator(Seed, ReferenceNow).Generate(Patients), Directory);
        LinesByType = System.IO.Directory.GetFiles(Directory, "*.ndjson")
            .ToDictionary(path => Path.GetFileNameWithoutExtension(path), ReadLines, StringComparer.Ordinal);
        _resources = new Lazy<IReadOnlyList<JsonObject>>(() => LinesByType.Values.SelectMany(l => l).Select(l => JsonNode.Parse(l)!.AsObject()).ToList());
    }

    public string Directory { get; }

    public GenerationSummary Summary { get; }

    /// <summary>NDJSON lines per file, keyed by the file name without extension (the resource type).</summary>
    public IReadOnlyDictionary<string, string[]> LinesByType { get; }

    /// <summary>Every written resource as parsed JSON.</summary>
    public IReadOnlyList<JsonObject> Resources => _resources.Value;

    public IEnumerable<JsonObject> OfType(string resourceType) =>
        Resources.Where(r => (string?)r["resourceType"] == resourceType);

    public void Dispose() => TempDirectory.Delete(Directory);

    private static string[] ReadLines(string path)
    {
        var text = File.ReadAllText(path);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}

internal static class TempDirectory
{
    public static string Create()
    {
        var path = Path.Combine(Path.GetTempPath(), "carelake-generation-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
    }
}
