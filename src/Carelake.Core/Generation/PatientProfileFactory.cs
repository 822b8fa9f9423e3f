namespace Carelake.Core.Generation;

/// <summary>Draws the demographic and clinical profile of each patient.</summary>
internal sealed class PatientProfileFactory(SyntheticRandom random, IdFactory ids, CareNetwork network, DateTimeOffset now)
{
    /// <summary>How far back documented history goes; keeps the average record around 90 resources.</summary>
    public const int HistoryYears = 5;

    // Age bands (years at "now") weighted roughly like the US population, so all of 0–95 is covered.
    private static readonly IReadOnlyList<((int From, int To) Years, double Weight)> AgeBands =
    [
        ((0, 4), 6), ((5, 17), 16), ((18, 34), 22), ((35, 49), 19), ((50, 64), 19), ((65, 79), 13), ((80, 95), 5),
    ];

    public PatientProfile Create(int number)
    {
        var female = random.Chance(0.51);
        var birth = DrawBirthDate();
        var death = DrawDeathDate(birth);
        var recordEnd = death ?? now;
        var recordStart = Max(birth, now.AddDays(-365.25 * HistoryYears));
        var adultBmi = Math.Clamp(random.Normal(27.5, 5.0), 17.0, 48.0);
        var chronic = DrawChronicConditions(birth, recordEnd, adultBmi);
        var diabetic = chronic.Any(c => c.Condition.Kind == ChronicKind.Diabetes);
        var clinicIndex = random.Next(network.Clinics.Count);

        return new PatientProfile
        {
            Id = ids.Next(),
            Number = number,
            Female = female,
            BirthDate = birth,
            DeathDate = death,
            RecordStart = recordStart,
            RecordEnd = recordEnd,
            Chronic = chronic,
            PrimaryCare = random.Pick(network.PrimaryCare),
            Clinic = network.Clinics[clinicIndex],
            // Patients of the first clinics use the first hospital: keeps catchment areas plausible.
            Hospital = network.Hospitals[clinicIndex * network.Hospitals.Count / network.Clinics.Count],
            City = random.Pick(DemographicTables.Cities),
            AdultBmi = adultBmi,
            BmiDriftPerYear = random.Normal(0.12, 0.25),
            HeightFactor = random.Normal(1.0, 0.035),
            SystolicOffset = random.Normal(0, 7),
            DiastolicOffset = random.Normal(0, 4),
            HeartRateOffset = random.Normal(0, 5),
            HbA1cBaseline = diabetic ? Math.Clamp(random.Normal(7.4, 0.9), 6.5, 11.0) : Math.Clamp(random.Normal(5.3, 0.25), 4.4, 6.2),
            HbA1cDriftPerYear = diabetic ? random.Normal(0.08, 0.15) : random.Normal(0.01, 0.02),
        };
    }

    private DateTimeOffset DrawBirthDate()
    {
        var (from, to) = random.PickWeighted(AgeBands);
        var ageDays = random.Between(from * 365, (to * 365) + 364);
        return new DateTimeOffset(now.Date.AddDays(-ageDays), now.Offset);
    }

    private DateTimeOffset? DrawDeathDate(DateTimeOffset birth)
    {
        var age = (now - birth).TotalDays / 365.25;
        var probability = age switch
        {
            < 50 => 0.004,
            < 70 => 0.03,
            < 85 => 0.10,
            _ => 0.25,
        };
        if (!random.Chance(probability))
        {
            return null;
        }

        // Deaths fall inside the documented history and leave time for a terminal admission before them.
        var death = now.AddMinutes(-random.Between(15 * 24 * 60, HistoryYears * 365 * 24 * 60));
        return death > birth.AddDays(60) ? TruncateToMinute(death) : null;
    }

    private List<ChronicDiagnosis> DrawChronicConditions(DateTimeOffset birth, DateTimeOffset recordEnd, double adultBmi)
    {
        var result = new List<ChronicDiagnosis>();
        var age = (recordEnd - birth).TotalDays / 365.25;
        foreach (var condition in ChronicConditions.All)
        {
            if (age < condition.MinAge || !random.Chance(Prevalence(condition, age, adultBmi, result)))
            {
                continue;
            }

            var earliest = Max(birth.AddYears(condition.MinAge), recordEnd.AddYears(-25));
            var latest = recordEnd.AddDays(-30);
            if (earliest < latest)
            {
                var onset = earliest.AddDays(random.NextDouble() * (latest - earliest).TotalDays);
                result.Add(new ChronicDiagnosis(condition, TruncateToMinute(onset), random.Chance(0.3)));
            }
        }

        return result;
    }

    private static double Prevalence(ChronicCondition condition, double age, double adultBmi, List<ChronicDiagnosis> existing)
    {
        if (condition.Kind == ChronicKind.Obesity)
        {
            return adultBmi >= 30 ? 0.7 : 0.0;
        }

        var baseRate = age switch
        {
            < 45 => condition.YoungPrevalence,
            < 65 => condition.MiddlePrevalence,
            _ => condition.OldPrevalence,
        };
        return baseRate * RiskMultiplier(condition.Kind, adultBmi, existing);
    }

    // Comorbidities cluster in real populations; analytics over synthetic data should see that too.
    private static double RiskMultiplier(ChronicKind kind, double adultBmi, List<ChronicDiagnosis> existing)
    {
        bool Has(ChronicKind k) => existing.Exists(d => d.Condition.Kind == k);
        var obese = adultBmi >= 30;
        return kind switch
        {
            ChronicKind.Diabetes => obese ? 2.0 : 0.7,
            ChronicKind.Hypertension => (obese ? 1.4 : 1.0) * (Has(ChronicKind.Diabetes) ? 1.5 : 1.0),
            ChronicKind.KidneyDisease => Has(ChronicKind.Diabetes) || Has(ChronicKind.Hypertension) ? 2.0 : 0.6,
            ChronicKind.HeartFailure => Has(ChronicKind.CoronaryDisease) ? 3.0 : 1.0,
            ChronicKind.CoronaryDisease => Has(ChronicKind.Diabetes) || Has(ChronicKind.Hyperlipidemia) ? 1.8 : 1.0,
            _ => 1.0,
        };
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset TruncateToMinute(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerMinute), value.Offset);
}
