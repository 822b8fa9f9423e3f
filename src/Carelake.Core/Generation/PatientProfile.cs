namespace Carelake.Core.Generation;

/// <summary>A chronic condition of one patient: when it started and whether it needs the second-line drug too.</summary>
internal sealed record ChronicDiagnosis(ChronicCondition Condition, DateTimeOffset Onset, bool NeedsSecondLine);

/// <summary>
/// Everything decided about a patient before the record is written: demographics, life span, chronic disease and the
/// personal baselines that make the patient's vitals and labs drift consistently from visit to visit.
/// </summary>
internal sealed class PatientProfile
{
    public required string Id { get; init; }
    public required int Number { get; init; }
    public required bool Female { get; init; }
    public required DateTimeOffset BirthDate { get; init; }
    public required DateTimeOffset? DeathDate { get; init; }

    /// <summary>Start of the documented history (records older than this are assumed to live elsewhere).</summary>
    public required DateTimeOffset RecordStart { get; init; }

    /// <summary>Death, or the reference "now".</summary>
    public required DateTimeOffset RecordEnd { get; init; }

    public required IReadOnlyList<ChronicDiagnosis> Chronic { get; init; }
    public required PractitionerRef PrimaryCare { get; init; }
    public required Clinic Clinic { get; init; }
    public required Hospital Hospital { get; init; }
    public required City City { get; init; }

    // Personal baselines; see Physiology for how they are used.
    public required double AdultBmi { get; init; }
    public required double BmiDriftPerYear { get; init; }
    public required double HeightFactor { get; init; }
    public required double SystolicOffset { get; init; }
    public required double DiastolicOffset { get; init; }
    public required double HeartRateOffset { get; init; }
    public required double HbA1cBaseline { get; init; }
    public required double HbA1cDriftPerYear { get; init; }

    public double AgeAt(DateTimeOffset at) => (at - BirthDate).TotalDays / 365.25;

    /// <summary>Whether a chronic condition of this kind has started by the given time.</summary>
    public bool Has(ChronicKind kind, DateTimeOffset at)
    {
        foreach (var diagnosis in Chronic)
        {
            if (diagnosis.Condition.Kind == kind && diagnosis.Onset <= at)
            {
                return true;
            }
        }

        return false;
    }

    public int ChronicCountAt(DateTimeOffset at)
    {
        var count = 0;
        foreach (var diagnosis in Chronic)
        {
            if (diagnosis.Onset <= at)
            {
                count++;
            }
        }

        return count;
    }
}
