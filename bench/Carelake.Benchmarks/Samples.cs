using Carelake.Core.Fhir;
using Carelake.Core.Generation;
using Carelake.Core.Search;
using Carelake.Hosting;
using Hl7.Fhir.Model;

namespace Carelake.Benchmarks;

/// <summary>Realistic sample resources: the first of each type that the synthetic generator produces (fixed seed).</summary>
internal static class Samples
{
    private static readonly DateTimeOffset ReferenceNow = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh copy of the first generated resource of <paramref name="type"/> (patients of seed 7).</summary>
    public static Resource First(string type) =>
        new SyntheticDataGenerator(seed: 7, ReferenceNow).Generate(3).First(r => r.TypeName == type);

    /// <summary>All resources of the first <paramref name="patients"/> generated patients (the shared network included).</summary>
    public static List<Resource> Generate(int patients, int seed = 7) =>
        new SyntheticDataGenerator(seed, ReferenceNow).Generate(patients).ToList();

    /// <summary>Closes a benchmark's store and removes its temp folder (best effort: a file may still be held).</summary>
    public static async System.Threading.Tasks.Task CloseAsync(CarelakeServices services, string dataDir)
    {
        await services.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static byte[] Json(string type) => FhirSerialization.ToJsonBytes(First(type));

    /// <summary>The registry built the way <c>CarelakeServices</c> builds it, with sequential storage ids.</summary>
    public static SearchParameterRegistry Registry()
    {
        var definitions = SearchParameterRegistry.StandardDefinitions();
        return new SearchParameterRegistry(definitions.Select((d, i) => d with { Id = i + 1 }));
    }
}
