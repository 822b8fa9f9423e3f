using System.Text.Json;
using Carelake.Core.Generation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Carelake.Core.Tests.Generation;

public sealed class NdjsonWriterTests(GeneratedDataSetFixture data) : IClassFixture<GeneratedDataSetFixture>
{
    private static readonly DateTimeOffset Now = new(2025, 3, 15, 9, 0, 0, TimeSpan.Zero);

    // Strict mode: any invalid content (bad ids, dates, codes, unknown elements, wrong choice types) throws.
    private static readonly JsonSerializerOptions StrictOptions =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector).UsingMode(DeserializationMode.Strict);

    [Fact]
    public void Every_line_round_trips_through_the_strict_firely_parser()
    {
        foreach (var (type, lines) in data.LinesByType)
        {
            foreach (var line in lines)
            {
                var resource = JsonSerializer.Deserialize<Resource>(line, StrictOptions);

                Assert.NotNull(resource);
                Assert.Equal(type, resource.TypeName);
                // Re-serializing gives the very same line: nothing was dropped or reinterpreted.
                Assert.Equal(line, JsonSerializer.Serialize(resource, StrictOptions));
            }
        }
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","id":"not a valid id!"}""")]
    [InlineData("""{"resourceType":"Patient","id":"p1","birthDate":"1980-13-45"}""")]
    [InlineData("""{"resourceType":"Patient","id":"p1","unknownElement":true}""")]
    public void Strict_parser_used_above_rejects_invalid_content(string json)
    {
        // Guards the round-trip test against silently running in a lenient mode.
        Assert.Throws<DeserializationFailedException>(() => JsonSerializer.Deserialize<Resource>(json, StrictOptions));
    }

    [Fact]
    public void Summary_counts_equal_lines_written()
    {
        Assert.Equal(data.Summary.CountsByType.Keys.Order(StringComparer.Ordinal), data.LinesByType.Keys.Order(StringComparer.Ordinal));
        foreach (var (type, count) in data.Summary.CountsByType)
        {
            Assert.Equal(count, data.LinesByType[type].Length);
        }

        Assert.Equal(data.LinesByType.Values.Sum(l => l.Length), data.Summary.Total);
    }

    [Fact]
    public void Files_are_utf8_without_bom_with_one_resource_per_lf_terminated_line()
    {
        foreach (var path in Directory.GetFiles(data.Directory, "*.ndjson"))
        {
            var bytes = File.ReadAllBytes(path);
            Assert.False(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), $"{path} starts with a BOM");
            Assert.Equal(-1, bytes.AsSpan().IndexOf((byte)'\r'));
            Assert.Equal((byte)'\n', bytes[^1]);

            var type = Path.GetFileNameWithoutExtension(path);
            foreach (var line in data.LinesByType[type])
            {
                using var document = JsonDocument.Parse(line);
                Assert.Equal(type, document.RootElement.GetProperty("resourceType").GetString());
            }
        }
    }

    [Fact]
    public void Creates_missing_directories_and_overwrites_existing_files()
    {
        var root = TempDirectory.Create();
        try
        {
            var outDir = Path.Combine(root, "nested", "out");
            NdjsonWriter.Write(new SyntheticDataGenerator(1, Now).Generate(20), outDir);
            var second = NdjsonWriter.Write(new SyntheticDataGenerator(2, Now).Generate(3), outDir);

            foreach (var (type, count) in second.CountsByType)
            {
                Assert.Equal(count, File.ReadAllLines(Path.Combine(outDir, type + ".ndjson")).Length);
            }
        }
        finally
        {
            TempDirectory.Delete(root);
        }
    }

    [Fact]
    public void Reports_progress_with_the_running_total()
    {
        var directory = TempDirectory.Create();
        try
        {
            var reported = new List<int>();
            var summary = NdjsonWriter.Write(new SyntheticDataGenerator(4, Now).Generate(5), directory, reported.Add);

            Assert.Equal(Enumerable.Range(1, summary.Total), reported);
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    [Fact]
    public void Stops_on_cancellation_and_releases_the_files()
    {
        var directory = TempDirectory.Create();
        try
        {
            using var cancellation = new CancellationTokenSource();
            void CancelAfterHundred(int written)
            {
                if (written == 100)
                {
                    cancellation.Cancel();
                }
            }

            Assert.ThrowsAny<OperationCanceledException>(() =>
                NdjsonWriter.Write(new SyntheticDataGenerator(4, Now).Generate(1_000), directory, CancelAfterHundred, cancellation.Token));

            var written = Directory.GetFiles(directory).Sum(path => File.ReadAllLines(path).Length);
            Assert.Equal(100, written);
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    [Fact]
    public void Writes_the_same_json_as_firely_serialization_of_each_resource()
    {
        var options = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);
        var expected = new SyntheticDataGenerator(9, Now).Generate(3)
            .GroupBy(r => r.TypeName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => JsonSerializer.Serialize<Resource>(r, options)).ToArray(), StringComparer.Ordinal);
        var directory = TempDirectory.Create();
        try
        {
            NdjsonWriter.Write(new SyntheticDataGenerator(9, Now).Generate(3), directory);

            foreach (var (type, lines) in expected)
            {
                Assert.Equal(lines, File.ReadAllLines(Path.Combine(directory, type + ".ndjson")));
            }
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }
}
