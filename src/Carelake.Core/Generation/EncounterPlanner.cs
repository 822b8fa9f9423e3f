namespace Carelake.Core.Generation;

internal enum EncounterKind
{
    Wellness,
    Sick,
    Emergency,
    Inpatient,
}

/// <summary>One encounter on a patient's timeline, before any resources are created for it.</summary>
internal sealed record PlannedEncounter(
    EncounterKind Kind,
    DateTimeOffset Start,
    DateTimeOffset End,
    AcuteCondition? Reason,
    bool FromEmergency,
    bool IsReadmission,
    bool IsTerminal);

/// <summary>
/// Lays out a patient's encounters in time order without overlaps. Visit frequency and mix depend on age and
/// chronic burden; about 13% of index admissions are followed by a readmission within 30 days, and deceased
/// patients end with a terminal admission so the death is documented by an encounter with disposition "exp".
/// </summary>
internal sealed class EncounterPlanner(SyntheticRandom random)
{
    private const double ReadmissionRate = 0.13;

    public List<PlannedEncounter> Plan(PatientProfile patient)
    {
        var plan = new List<PlannedEncounter>();
        // Leave room before a death for the terminal admission (at most 14 days long).
        var regularEnd = patient.DeathDate?.AddDays(-15) ?? patient.RecordEnd;
        var cursor = patient.RecordStart.AddDays(random.Between(1, 45));
        var kind = EncounterKind.Wellness; // Every record opens with a check-up that documents the baseline.

        while (true)
        {
            var encounter = Create(patient, kind, cursor, isReadmission: false);
            if (encounter.End >= regularEnd)
            {
                break;
            }

            plan.Add(encounter);
            if (encounter.Kind == EncounterKind.Inpatient && random.Chance(ReadmissionRate))
            {
                var readmission = Create(patient, EncounterKind.Inpatient, encounter.End.AddDays(random.Between(1.0, 29.0)), isReadmission: true, encounter.Reason);
                if (readmission.End < regularEnd)
                {
                    plan.Add(readmission);
                    encounter = readmission;
                }
            }

            cursor = encounter.End.AddDays(GapDays(patient, encounter.End));
            kind = NextKind(patient, cursor);
        }

        if (patient.DeathDate is { } death)
        {
            plan.Add(TerminalAdmission(patient, death));
        }

        return plan;
    }

    private double GapDays(PatientProfile patient, DateTimeOffset at)
    {
        var age = patient.AgeAt(at);
        var chronic = patient.ChronicCountAt(at);
        var visitsPerYear = age switch
        {
            < 2 => 5.0,
            < 18 => 1.3,
            < 65 => 0.9 + (0.3 * chronic),
            _ => 1.5 + (0.3 * chronic),
        };
        return Math.Max(3.0, random.Between(0.3, 1.7) * 365.25 / visitsPerYear);
    }

    private EncounterKind NextKind(PatientProfile patient, DateTimeOffset at)
    {
        var age = patient.AgeAt(at);
        var chronic = patient.ChronicCountAt(at);
        var inpatient = age switch
        {
            < 18 => 0.02,
            < 65 => 0.035 + (0.015 * chronic),
            _ => 0.08 + (0.02 * chronic),
        };
        var wellness = age < 2 ? 0.65 : 0.42;
        var draw = random.NextDouble();
        return draw < inpatient ? EncounterKind.Inpatient
            : draw < inpatient + 0.09 ? EncounterKind.Emergency
            : draw < inpatient + 0.09 + wellness ? EncounterKind.Wellness
            : EncounterKind.Sick;
    }

    private PlannedEncounter Create(PatientProfile patient, EncounterKind kind, DateTimeOffset day, bool isReadmission, AcuteCondition? previousReason = null)
    {
        var date = new DateTimeOffset(day.Date, day.Offset);
        return kind switch
        {
            EncounterKind.Wellness => Visit(kind, date, random.Between(20, 45), reason: null),
            EncounterKind.Sick => Visit(kind, date, random.Between(15, 30), PickReason(patient, CareSetting.Ambulatory, date)),
            EncounterKind.Emergency => EmergencyVisit(patient, date),
            _ => Admission(patient, date, isReadmission, previousReason),
        };
    }

    private PlannedEncounter Visit(EncounterKind kind, DateTimeOffset date, int minutes, AcuteCondition? reason)
    {
        // Clinic appointments start on the quarter hour during office hours.
        var start = date.AddMinutes((8 * 60) + (15 * random.Between(0, 34)));
        return new PlannedEncounter(kind, start, start.AddMinutes(minutes), reason, FromEmergency: false, IsReadmission: false, IsTerminal: false);
    }

    private PlannedEncounter EmergencyVisit(PatientProfile patient, DateTimeOffset date)
    {
        var start = date.AddMinutes(random.Between(0, (24 * 60) - 1));
        var end = start.AddMinutes(random.Between(90, 540));
        return new PlannedEncounter(EncounterKind.Emergency, start, end, PickReason(patient, CareSetting.Emergency, date), false, false, false);
    }

    private PlannedEncounter Admission(PatientProfile patient, DateTimeOffset date, bool isReadmission, AcuteCondition? previousReason)
    {
        var start = date.AddMinutes(random.Between(0, (24 * 60) - 1));
        // Squaring a uniform draw skews stays short: median about 4 days, 1–14 days overall.
        var u = random.NextDouble();
        var lengthOfStay = Math.Min(14, 1 + (int)(14 * u * u));
        var discharge = new DateTimeOffset(start.Date, start.Offset).AddDays(lengthOfStay).AddMinutes(random.Between(10 * 60, 17 * 60));
        var reason = isReadmission && previousReason is not null && random.Chance(0.7)
            ? previousReason
            : PickReason(patient, CareSetting.Inpatient, date);
        return new PlannedEncounter(EncounterKind.Inpatient, start, discharge, reason, random.Chance(0.6), isReadmission, IsTerminal: false);
    }

    private PlannedEncounter TerminalAdmission(PatientProfile patient, DateTimeOffset death)
    {
        var start = death.AddMinutes(-random.Between(24 * 60, 14 * 24 * 60));
        return new PlannedEncounter(EncounterKind.Inpatient, start, death, PickReason(patient, CareSetting.Inpatient, start), FromEmergency: true, IsReadmission: false, IsTerminal: true);
    }

    /// <summary>Picks an acute problem that fits the setting, the patient's age and (where needed) chronic disease.</summary>
    private AcuteCondition PickReason(PatientProfile patient, CareSetting setting, DateTimeOffset at)
    {
        var age = patient.AgeAt(at);
        // Rejection sampling over a short table: cheap and allocation-free; the scan below only runs if unlucky.
        for (var attempt = 0; attempt < 32; attempt++)
        {
            var candidate = random.Pick(AcuteConditions.All);
            if (Fits(candidate, patient, setting, age, at))
            {
                return candidate;
            }
        }

        foreach (var candidate in AcuteConditions.All)
        {
            if (Fits(candidate, patient, setting, age, at))
            {
                return candidate;
            }
        }

        return AcuteConditions.All.First(c => c.Setting == setting);
    }

    private static bool Fits(AcuteCondition candidate, PatientProfile patient, CareSetting setting, double age, DateTimeOffset at) =>
        candidate.Setting == setting
        && age >= candidate.MinAge
        && age < candidate.MaxAge + 1
        && (candidate.Requires is null || patient.Has(candidate.Requires.Value, at));
}
