using Carelake.Core.Generation;
using Hl7.Fhir.Model;

namespace Carelake.Core.Tests.Generation;

public sealed class SyntheticDataGeneratorTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 15, 9, 0, 0, TimeSpan.Zero);
    private static readonly string[] SharedTypes = ["Organization", "Location", "Practitioner"];

    [Fact]
    public void Same_seed_and_reference_time_produce_identical_bytes()
    {
        var generator = new SyntheticDataGenerator(7, Now);
        var first = WriteToTemp(generator, 60);
        var again = WriteToTemp(generator, 60);
        var fresh = WriteToTemp(new SyntheticDataGenerator(7, Now), 60);
        try
        {
            AssertSameFiles(first, again);
            AssertSameFiles(first, fresh);
        }
        finally
        {
            TempDirectory.Delete(first);
            TempDirectory.Delete(again);
            TempDirectory.Delete(fresh);
        }
    }

    [Fact]
    public void Different_seeds_produce_different_data_and_ids()
    {
        var one = new SyntheticDataGenerator(1, Now).Generate(40).ToList();
        var two = new SyntheticDataGenerator(2, Now).Generate(40).ToList();

        Assert.NotEqual(Birthdates(one), Birthdates(two));
        Assert.Empty(one.Select(r => r.Id).Intersect(two.Select(r => r.Id), StringComparer.Ordinal));
    }

    [Fact]
    public void Different_reference_times_shift_the_data()
    {
        var earlier = new SyntheticDataGenerator(1, Now.AddYears(-3)).Generate(20).OfType<Patient>().First();
        var later = new SyntheticDataGenerator(1, Now).Generate(20).OfType<Patient>().First();

        Assert.NotEqual(earlier.BirthDate, later.BirthDate);
    }

    [Fact]
    public void Generation_is_lazy_so_huge_requests_stream()
    {
        // Would never finish (or run out of memory) if the generator materialized its output.
        var taken = new SyntheticDataGenerator(3, Now).Generate(int.MaxValue).Take(5_000).Count();

        Assert.Equal(5_000, taken);
    }

    [Fact]
    public void Zero_patients_yield_only_the_shared_network()
    {
        var types = new SyntheticDataGenerator(3, Now).Generate(0).Select(r => r.TypeName).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(SharedTypes.Order(StringComparer.Ordinal), types);
    }

    [Fact]
    public void Negative_patient_count_is_rejected_eagerly()
    {
        var generator = new SyntheticDataGenerator(3, Now);

        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(-1));
    }

    [Fact]
    public void Shared_resources_come_first_then_each_patient_before_its_records()
    {
        var seenPatients = new HashSet<string>(StringComparer.Ordinal);
        var inPatientSection = false;
        foreach (var resource in new SyntheticDataGenerator(11, Now).Generate(30))
        {
            if (resource is Patient patient)
            {
                inPatientSection = true;
                seenPatients.Add(patient.Id!);
                continue;
            }

            if (SharedTypes.Contains(resource.TypeName))
            {
                Assert.False(inPatientSection, $"{resource.TypeName} after the first Patient");
                continue;
            }

            var subject = SubjectOf(resource);
            Assert.NotNull(subject);
            Assert.Contains(subject["Patient/".Length..], seenPatients);
        }

        Assert.Equal(30, seenPatients.Count);
    }

    [Fact]
    public void Patient_records_do_not_depend_on_how_many_patients_are_requested()
    {
        var small = new SyntheticDataGenerator(5, Now).Generate(10).Select(r => r.Id).ToList();
        var large = new SyntheticDataGenerator(5, Now).Generate(20).Take(small.Count).Select(r => r.Id).ToList();

        Assert.Equal(small, large);
    }

    private static string? SubjectOf(Resource resource) => resource switch
    {
        Encounter e => e.Subject?.Reference,
        Condition c => c.Subject?.Reference,
        Observation o => o.Subject?.Reference,
        MedicationRequest m => m.Subject?.Reference,
        Procedure p => p.Subject?.Reference,
        Immunization i => i.Patient?.Reference,
        AllergyIntolerance a => a.Patient?.Reference,
        _ => null,
    };

    private static List<string?> Birthdates(List<Resource> resources) =>
        resources.OfType<Patient>().Select(p => p.BirthDate).ToList();

    private static string WriteToTemp(SyntheticDataGenerator generator, int patients)
    {
        var directory = TempDirectory.Create();
        NdjsonWriter.Write(generator.Generate(patients), directory);
        return directory;
    }

    private static void AssertSameFiles(string expectedDirectory, string actualDirectory)
    {
        var expected = Directory.GetFiles(expectedDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var actual = Directory.GetFiles(actualDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        foreach (var name in expected)
        {
            var expectedBytes = File.ReadAllBytes(Path.Combine(expectedDirectory, name!));
            var actualBytes = File.ReadAllBytes(Path.Combine(actualDirectory, name!));
            Assert.True(expectedBytes.AsSpan().SequenceEqual(actualBytes), $"{name} differs");
        }
    }
}
