using Hl7.Fhir.Model;

namespace Carelake.Core.Generation;

/// <summary>
/// Deterministic generator of realistic, fully linked synthetic FHIR R4 data: a shared care network (organizations,
/// locations with wards and beds, practitioners) followed by patients with their encounters and clinical records.
/// The output is a pure function of the seed and the reference time; the wall clock is never read.
/// </summary>
public sealed class SyntheticDataGenerator
{
    private readonly int _seed;
    private readonly DateTimeOffset _referenceNow;

    /// <param name="seed">Seed for all random choices; the same seed gives byte-identical output.</param>
    /// <param name="referenceNow">"Today" of the data set: every date is placed relative to it, none after it.</param>
    public SyntheticDataGenerator(int seed, DateTimeOffset referenceNow)
    {
        _seed = seed;
        // Whole seconds: FHIR dateTimes are written at second precision, and sub-second noise would only leak into
        // values derived from this clock.
        _referenceNow = new DateTimeOffset(referenceNow.Ticks - (referenceNow.Ticks % TimeSpan.TicksPerSecond), referenceNow.Offset);
    }

    /// <summary>
    /// Streams the shared Organization, Location and Practitioner resources, then for each patient the Patient and
    /// all resources linked to it. Only one patient's record is in memory at a time, and each enumeration starts
    /// from the seed again, so enumerating twice yields the same resources. Resources from different calls share
    /// no instances, and the caller may modify what it receives.
    /// </summary>
    public IEnumerable<Resource> Generate(int patients)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patients);
        return GenerateCore(patients);
    }

    private IEnumerable<Resource> GenerateCore(int patients)
    {
        var random = new SyntheticRandom(_seed);
        var ids = new IdFactory(_seed);

        var shared = new List<Resource>();
        var network = new CareNetworkBuilder(random, ids, shared).Build();
        foreach (var resource in shared)
        {
            yield return resource;
        }

        shared.Clear();
        var builder = new PatientRecordBuilder(random, ids, network, _referenceNow);
        for (var number = 0; number < patients; number++)
        {
            foreach (var resource in builder.Build(number))
            {
                yield return resource;
            }
        }
    }
}
