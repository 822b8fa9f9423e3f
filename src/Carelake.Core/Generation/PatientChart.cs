using Hl7.Fhir.Model;

namespace Carelake.Core.Generation;

/// <summary>What has been documented for one patient so far, so later encounters build on earlier ones.</summary>
internal sealed class PatientChart
{
    public PatientChart(PatientProfile patient)
    {
        Patient = patient;
        VaccineDosesGiven = new int[Vaccines.Childhood.Count];
        for (var i = 0; i < Vaccines.Childhood.Count; i++)
        {
            // Doses due before the documented history started were given elsewhere.
            var schedule = Vaccines.Childhood[i].DueAgeDays;
            while (VaccineDosesGiven[i] < schedule.Count && patient.BirthDate.AddDays(schedule[VaccineDosesGiven[i]]) < patient.RecordStart)
            {
                VaccineDosesGiven[i]++;
            }
        }
    }

    public PatientProfile Patient { get; }

    /// <summary>Condition id per chronic condition already on the problem list.</summary>
    public Dictionary<ChronicKind, string> ChronicConditionIds { get; } = [];

    /// <summary>Encounter id at which each chronic condition was first documented.</summary>
    public Dictionary<ChronicKind, string> DiagnosedAt { get; } = [];

    /// <summary>The latest order per long-term medication; superseded orders are marked completed on renewal.</summary>
    public Dictionary<MedicationTemplate, MedicationRequest> CurrentOrders { get; } = new(ReferenceEqualityComparer.Instance);

    public int[] VaccineDosesGiven { get; }

    public int LastFluSeason { get; set; } = int.MinValue;

    public bool AllergiesRecorded { get; set; }
}
