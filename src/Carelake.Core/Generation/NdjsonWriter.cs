using System.Buffers;
using System.Collections.ObjectModel;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Carelake.Core.Generation;

/// <summary>
/// Writes resources as FHIR bulk-data NDJSON: one file per resource type (<c>Patient.ndjson</c>, ...), one compact JSON
/// resource per line, UTF-8 without BOM, <c>\n</c> line endings. Streams: memory does not grow with the input.
/// </summary>
public static class NdjsonWriter
{
    private const int FileBufferSize = 1 << 16;

    // Building FHIR serializer options is expensive (model inspection); one instance is thread-safe and reused.
    private static readonly JsonSerializerOptions SerializerOptions = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <param name="resources">Resources to write, typically <see cref="SyntheticDataGenerator.Generate"/>.</param>
    /// <param name="outDir">Output directory; created if missing. Files of written types are overwritten.</param>
    /// <param name="onResourceWritten">Called after each resource with the running total, for progress display.</param>
    /// <param name="cancellationToken">Checked before each resource; files written so far are closed properly.</param>
    public static GenerationSummary Write(
        IEnumerable<Resource> resources, string outDir, Action<int>? onResourceWritten = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(outDir);
        var files = new Dictionary<string, TypeFile>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        // The writer's own options decide encoding and indentation; take the escaping policy from the FHIR options so
        // lines are exactly what JsonSerializer.Serialize(resource, options) returns.
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = SerializerOptions.Encoder, Indented = false });
        var total = 0;
        try
        {
            foreach (var resource in resources)
            {
                cancellationToken.ThrowIfCancellationRequested();
                buffer.ResetWrittenCount();
                json.Reset(buffer);
                JsonSerializer.Serialize(json, resource, SerializerOptions);
                json.Flush();

                var file = FileFor(files, resource.TypeName, outDir);
                file.Stream.Write(buffer.WrittenSpan);
                file.Stream.WriteByte((byte)'\n');
                file.Count++;
                onResourceWritten?.Invoke(++total);
            }
        }
        finally
        {
            foreach (var file in files.Values)
            {
                file.Stream.Dispose();
            }
        }

        return Summarize(files);
    }

    private static TypeFile FileFor(Dictionary<string, TypeFile> files, string resourceType, string outDir)
    {
        if (!files.TryGetValue(resourceType, out var file))
        {
            var path = Path.Combine(outDir, resourceType + ".ndjson");
            file = new TypeFile(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, FileBufferSize));
            files.Add(resourceType, file);
        }

        return file;
    }

    private static GenerationSummary Summarize(Dictionary<string, TypeFile> files)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (type, file) in files)
        {
            counts[type] = file.Count;
        }

        return new GenerationSummary(new ReadOnlyDictionary<string, int>(counts));
    }

    private sealed class TypeFile(FileStream stream)
    {
        public FileStream Stream { get; } = stream;

        public int Count { get; set; }
    }
}
