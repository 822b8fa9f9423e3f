namespace Carelake.Core.Generation;

/// <summary>Measured values for one vitals set; blood pressure is one panel with two components.</summary>
internal readonly record struct VitalsSet(
    double HeightCm,
    double WeightKg,
    double HeartRate,
    double RespiratoryRate,
    double TemperatureCelsius,
    double OxygenSaturation,
    double Systolic,
    double Diastolic);

/// <summary>What is going on with the patient at the time of measurement besides their chronic conditions.</summary>
internal readonly record struct AcuteState(bool Febrile, bool Infection, bool Hypoxic);

/// <summary>
/// Plausible vital signs and lab values for a patient at a point in time. Values follow age and sex (growth curves,
/// age-dependent heart and respiratory rates, rising blood pressure), drift from the patient's personal baselines, and
/// reflect chronic disease (diabetics have high glucose and HbA1c, CKD patients high creatinine and low hemoglobin).
/// </summary>
internal sealed class Physiology(SyntheticRandom random)
{
    // CDC growth chart medians (age in years → height in cm), interpolated linearly.
    private static readonly (double Age, double Male, double Female)[] HeightMedians =
    [
        (0, 50, 49), (0.5, 67, 65), (1, 76, 74), (2, 88, 86), (4, 103, 102), (6, 116, 115), (8, 128, 127),
        (10, 138, 138), (12, 149, 151), (14, 164, 160), (16, 174, 162), (18, 176, 163),
    ];

    // Median BMI by age for children; adults take their personal baseline from 25 on.
    private static readonly (double Age, double Bmi)[] ChildBmiMedians =
    [
        (0, 13.4), (0.5, 17.2), (1, 17.2), (2, 16.4), (4, 15.6), (6, 15.4), (8, 15.9), (10, 16.8), (12, 18.0),
        (14, 19.4), (16, 20.6), (18, 21.7),
    ];

    public VitalsSet Vitals(PatientProfile patient, DateTimeOffset at, AcuteState acute)
    {
        var age = patient.AgeAt(at);
        var height = HeightAt(patient, age);
        var weight = Math.Max(2.0, (BmiAt(patient, at, age) * (height / 100.0) * (height / 100.0)) + random.Normal(0, 0.3));
        var fever = acute.Febrile ? random.Between(38.0, 39.6) : random.Normal(36.8, 0.2);
        var (systolic, diastolic) = BloodPressure(patient, at, age);
        return new VitalsSet(
            height,
            weight,
            HeartRate(patient, age, acute.Febrile),
            RespiratoryRate(patient, at, age, acute.Infection),
            fever,
            OxygenSaturation(patient, at, acute.Hypoxic),
            systolic,
            diastolic);
    }

    public double LabValue(LabTest test, PatientProfile patient, DateTimeOffset at, AcuteState acute)
    {
        var ckd = patient.Has(ChronicKind.KidneyDisease, at);
        return test.Kind switch
        {
            LabKind.Glucose => Glucose(patient, at),
            LabKind.HemoglobinA1c => HbA1c(patient, at),
            LabKind.Creatinine => Creatinine(patient, at, ckd, acute.Infection),
            LabKind.Hemoglobin => Hemoglobin(patient, at, ckd),
            // Infections raise the white count.
            LabKind.Leukocytes => acute.Infection ? random.Normal(14.5, 2.5) : random.Normal(7.2, 1.3),
            // Failing kidneys retain potassium; heart failure dilutes sodium.
            LabKind.Potassium => random.Normal(ckd ? 4.7 : 4.2, 0.3),
            LabKind.Sodium => random.Normal(patient.Has(ChronicKind.HeartFailure, at) ? 136 : 140, 2),
            _ => throw new ArgumentOutOfRangeException(nameof(test), test.Kind, "Unknown lab test"),
        };
    }

    private static double HeightAt(PatientProfile patient, double age)
    {
        var median = Interpolate(HeightMedians, age, patient.Female);
        // Adults lose a little height from 70 on.
        var shrink = age > 70 ? (age - 70) * 0.1 : 0.0;
        return (median * patient.HeightFactor) - shrink;
    }

    private static double BmiAt(PatientProfile patient, DateTimeOffset at, double age)
    {
        var yearsIntoRecord = Math.Max(0, (at - patient.RecordStart).TotalDays / 365.25);
        var adult = patient.AdultBmi + (patient.BmiDriftPerYear * yearsIntoRecord);
        if (age >= 25)
        {
            return adult;
        }

        // Heavier-than-average adults were heavier-than-average children too.
        var child = InterpolateBmi(ChildBmiMedians, Math.Min(age, 18)) * Math.Sqrt(patient.AdultBmi / 24.0);
        return age <= 18 ? child : child + ((adult - child) * (age - 18) / 7.0);
    }

    private double HeartRate(PatientProfile patient, double age, bool febrile)
    {
        var typical = age switch
        {
            < 1 => 130.0,
            < 3 => 115.0,
            < 6 => 100.0,
            < 12 => 88.0,
            < 18 => 78.0,
            _ => 72.0,
        };
        var value = typical + patient.HeartRateOffset + random.Normal(0, 4) + (febrile ? 12 : 0);
        return Math.Clamp(value, 45, 190);
    }

    private double RespiratoryRate(PatientProfile patient, DateTimeOffset at, double age, bool infection)
    {
        var typical = age switch
        {
            < 1 => 36.0,
            < 3 => 28.0,
            < 6 => 24.0,
            < 12 => 20.0,
            < 18 => 17.0,
            _ => 15.0,
        };
        var copd = patient.Has(ChronicKind.Copd, at) ? 3 : 0;
        return Math.Clamp(typical + copd + (infection ? 3 : 0) + random.Normal(0, 1.2), 8, 60);
    }

    private double OxygenSaturation(PatientProfile patient, DateTimeOffset at, bool hypoxic)
    {
        var typical = hypoxic ? 91.0 : patient.Has(ChronicKind.Copd, at) ? 93.5 : 97.8;
        return Math.Clamp(random.Normal(typical, hypoxic ? 2.0 : 0.9), 80, 100);
    }

    private (double Systolic, double Diastolic) BloodPressure(PatientProfile patient, DateTimeOffset at, double age)
    {
        var hypertensive = patient.Has(ChronicKind.Hypertension, at);
        double systolic, diastolic;
        if (age < 18)
        {
            systolic = 88 + (1.6 * age);
            diastolic = 52 + Math.Min(age, 18);
        }
        else
        {
            // Systolic rises with age; diastolic rises until about 60 and then falls (stiffer arteries).
            systolic = 112 + (0.45 * (age - 18)) + (hypertensive ? 16 : 0);
            diastolic = 71 + (0.15 * Math.Min(age - 18, 42)) - (0.25 * Math.Max(0, age - 60)) + (hypertensive ? 9 : 0);
        }

        systolic += patient.SystolicOffset + random.Normal(0, 5);
        diastolic += patient.DiastolicOffset + random.Normal(0, 3.5);
        systolic = Math.Clamp(systolic, 70, 210);
        return (systolic, Math.Clamp(diastolic, 40, systolic - 20));
    }

    private double HbA1c(PatientProfile patient, DateTimeOffset at)
    {
        var years = Math.Max(0, (at - patient.RecordStart).TotalDays / 365.25);
        var baseline = patient.HbA1cBaseline + (patient.HbA1cDriftPerYear * years);
        // Patients diagnosed during the record were pre-diabetic before and near the threshold at diagnosis.
        if (!patient.Has(ChronicKind.Diabetes, at))
        {
            baseline = Math.Min(baseline, 6.2);
        }

        return Math.Clamp(baseline + random.Normal(0, 0.15), 4.0, 13.5);
    }

    private double Glucose(PatientProfile patient, DateTimeOffset at)
    {
        if (!patient.Has(ChronicKind.Diabetes, at))
        {
            return Math.Clamp(random.Normal(90, 8), 65, 125);
        }

        // Estimated average glucose from HbA1c (ADAG study: eAG = 28.7 × A1c − 46.7) plus day-to-day scatter.
        return Math.Clamp((28.7 * HbA1c(patient, at)) - 46.7 + random.Normal(0, 18), 80, 450);
    }

    private double Creatinine(PatientProfile patient, DateTimeOffset at, bool ckd, bool infection)
    {
        var typical = ckd ? 1.9 : patient.Female ? 0.78 : 0.98;
        var elderly = patient.AgeAt(at) > 70 ? 0.1 : 0.0;
        var acuteKidneyInjury = infection && random.Chance(0.15) ? 0.6 : 0.0;
        return Math.Clamp(random.Normal(typical + elderly + acuteKidneyInjury, ckd ? 0.3 : 0.1), 0.2, 8.0);
    }

    private double Hemoglobin(PatientProfile patient, DateTimeOffset at, bool ckd)
    {
        var typical = patient.AgeAt(at) < 12 ? 12.5 : patient.Female ? 13.3 : 14.8;
        return Math.Clamp(random.Normal(typical - (ckd ? 1.6 : 0.0), 0.8), 6.0, 19.0);
    }

    private static double Interpolate((double Age, double Male, double Female)[] table, double age, bool female)
    {
        for (var i = 1; i < table.Length; i++)
        {
            if (age <= table[i].Age)
            {
                var (a0, m0, f0) = table[i - 1];
                var (a1, m1, f1) = table[i];
                var fraction = (age - a0) / (a1 - a0);
                return female ? f0 + ((f1 - f0) * fraction) : m0 + ((m1 - m0) * fraction);
            }
        }

        return female ? table[^1].Female : table[^1].Male;
    }

    private static double InterpolateBmi((double Age, double Bmi)[] table, double age)
    {
        for (var i = 1; i < table.Length; i++)
        {
            if (age <= table[i].Age)
            {
                var fraction = (age - table[i - 1].Age) / (table[i].Age - table[i - 1].Age);
                return table[i - 1].Bmi + ((table[i].Bmi - table[i - 1].Bmi) * fraction);
            }
        }

        return table[^1].Bmi;
    }
}
