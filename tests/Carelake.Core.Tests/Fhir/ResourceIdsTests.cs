using Carelake.Core.Fhir;

namespace Carelake.Core.Tests.Fhir;

/// <summary>
/// Server-assigned ids are time-ordered (the SQLite and PostgreSQL keys rely on it to append instead of touching a
/// random page per new resource) and still unguessable.
/// </summary>
public sealed class ResourceIdsTests
{
    [Fact]
    public void A_new_id_is_a_valid_fhir_id_of_32_lower_case_hex_digits()
    {
        var id = ResourceIds.NewId();

        Assert.True(ResourceIds.IsValid(id));
        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Fact]
    public void Ids_assigned_later_sort_after_earlier_ones()
    {
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(ResourceIds.NewId());
            Thread.Sleep(2); // ids within one millisecond are ordered only by their random part
        }

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Ids_assigned_in_the_same_millisecond_are_distinct_and_differ_in_their_random_part()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => ResourceIds.NewId()).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        // Past the 12-digit timestamp, at least the last 16 digits are random: consecutive ids share none of that tail.
        var sharedTails = ids.Zip(ids.Skip(1)).Count(pair => pair.First[16..] == pair.Second[16..]);
        Assert.Equal(0, sharedTails);
    }
}
