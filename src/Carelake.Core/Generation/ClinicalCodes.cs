namespace Carelake.Core.Generation;

// Code tables for the synthetic data generator. Codes are real LOINC/SNOMED CT/RxNorm/CVX codes (most of them
// the same ones Synthea uses) so that terminology-aware queries and analytics behave as on production data.

/// <summary>Canonical URIs of the code systems and identifier systems the generator emits.</summary>
internal static class CodeSystems
{
    public const string Loinc = "http://loinc.org";
    public const string Snomed = "http://snomed.info/sct";
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public const string Cvx = "http://hl7.org/fhir/sid/cvx";
    public const string Ucum = "http://unitsofmeasure.org";
    public const string Npi = "http://hl7.org/fhir/sid/us-npi";
    public const string Mrn = "http://carelake.dev/fhir/mrn";
    public const string OrganizationIdentifier = "http://carelake.dev/fhir/organization-id";
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string ObservationInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    public const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    public const string AllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    public const string AllergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
    public const string DischargeDisposition = "http://terminology.hl7.org/CodeSystem/discharge-disposition";
    public const string AdmitSource = "http://terminology.hl7.org/CodeSystem/admit-source";
    public const string ReadmissionIndicator = "http://terminology.hl7.org/CodeSystem/v2-0092";
    public const string DiagnosisRole = "http://terminology.hl7.org/CodeSystem/diagnosis-role";
    public const string MaritalStatus = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus";
    public const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    public const string IdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203";
    public const string Degree = "http://terminology.hl7.org/CodeSystem/v2-0360";
    public const string OrganizationType = "http://terminology.hl7.org/CodeSystem/organization-type";
    public const string LocationPhysicalType = "http://terminology.hl7.org/CodeSystem/location-physical-type";
    public const string RoleCode = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
}

/// <summary>One coded concept; converted to a fresh Coding/CodeableConcept per use because POCOs are mutable.</summary>
internal sealed record Concept(string System, string Code, string Display);

/// <summary>A vital sign: its LOINC concept and its UCUM unit (used both as unit text and code).</summary>
internal sealed record VitalSign(Concept Concept, string Unit);

/// <summary>A normal range; labs with sex-specific ranges carry two.</summary>
internal readonly record struct NormalRange(double Low, double High);

/// <summary>A laboratory test with its UCUM unit, sex-specific reference ranges and reporting precision.</summary>
internal sealed record LabTest(LabKind Kind, Concept Concept, string Unit, NormalRange Male, NormalRange Female, int Decimals);

internal enum LabKind
{
    Glucose,
    Creatinine,
    Hemoglobin,
    Leukocytes,
    Potassium,
    Sodium,
    HemoglobinA1c,
}

/// <summary>A medication order template: RxNorm concept, the sig text and how often per day it is taken.</summary>
internal sealed record MedicationTemplate(Concept Concept, string DosageText, int TimesPerDay, int DurationDays)
{
    public bool AsNeeded { get; } = DosageText.Contains("as needed", StringComparison.Ordinal);
}

internal enum ChronicKind
{
    Hypertension,
    Diabetes,
    Hyperlipidemia,
    Asthma,
    Copd,
    CoronaryDisease,
    HeartFailure,
    AtrialFibrillation,
    KidneyDisease,
    Depression,
    Hypothyroidism,
    Osteoarthritis,
    Obesity,
}

/// <summary>
/// A chronic condition with its age-banded prevalence (under 45, 45–64, 65+) and long-term medication.
/// Prevalences are rough US figures; they only need to make cohorts of a few hundred patients interesting.
/// Some patients also get the second-line drug (poorly controlled disease). Order matters: conditions that raise the risk of later ones (diabetes, coronary disease) come first.
/// </summary>
internal sealed record ChronicCondition(
    ChronicKind Kind,
    Concept Concept,
    int MinAge,
    double YoungPrevalence,
    double MiddlePrevalence,
    double OldPrevalence,
    MedicationTemplate? Medication,
    MedicationTemplate? SecondLine = null);

internal enum CareSetting
{
    Ambulatory,
    Emergency,
    Inpatient,
}

/// <summary>An acute problem that brings a patient in, with the usual treatment and procedure for it.</summary>
internal sealed record AcuteCondition(
    Concept Concept,
    CareSetting Setting,
    int MinAge,
    int MaxAge,
    bool Febrile,
    bool Infection,
    MedicationTemplate? Medication,
    Concept? Procedure,
    int ProcedureMinutes,
    int ResolveDays)
{
    /// <summary>Exacerbations only happen to patients who have the underlying chronic condition.</summary>
    public ChronicKind? Requires { get; init; }

    /// <summary>Lowers oxygen saturation while the problem is acute.</summary>
    public bool Hypoxic { get; init; }

    /// <summary>Where adults are admitted with it (children always go to the pediatric ward).</summary>
    public WardKind Ward { get; init; } = WardKind.GeneralMedicine;
}

/// <summary>A vaccine with the ages (in days) at which doses are due; adult vaccines have a single entry.</summary>
internal sealed record VaccineSchedule(Concept Concept, IReadOnlyList<int> DueAgeDays);

internal enum AllergyCategory
{
    Food,
    Medication,
    Environment,
}

/// <summary>An allergy with its category, how often it is life-threatening and its typical reactions.</summary>
internal sealed record AllergyTemplate(Concept Concept, AllergyCategory Category, double HighCriticalityRate, IReadOnlyList<Concept> Reactions);

internal static class VitalSigns
{
    public static readonly VitalSign HeartRate = new(new(CodeSystems.Loinc, "8867-4", "Heart rate"), "/min");
    public static readonly VitalSign RespiratoryRate = new(new(CodeSystems.Loinc, "9279-1", "Respiratory rate"), "/min");
    public static readonly VitalSign BodyTemperature = new(new(CodeSystems.Loinc, "8310-5", "Body temperature"), "Cel");
    public static readonly VitalSign BodyWeight = new(new(CodeSystems.Loinc, "29463-7", "Body weight"), "kg");
    public static readonly VitalSign BodyHeight = new(new(CodeSystems.Loinc, "8302-2", "Body height"), "cm");
    public static readonly VitalSign BodyMassIndex = new(new(CodeSystems.Loinc, "39156-5", "Body mass index (BMI) [Ratio]"), "kg/m2");
    public static readonly VitalSign OxygenSaturation = new(new(CodeSystems.Loinc, "2708-6", "Oxygen saturation in Arterial blood"), "%");
    public static readonly VitalSign Systolic = new(new(CodeSystems.Loinc, "8480-6", "Systolic blood pressure"), "mm[Hg]");
    public static readonly VitalSign Diastolic = new(new(CodeSystems.Loinc, "8462-4", "Diastolic blood pressure"), "mm[Hg]");
    public static readonly Concept BloodPressurePanel = new(CodeSystems.Loinc, "85354-9", "Blood pressure panel with all children optional");
}

internal static class LabTests
{
    public static readonly LabTest Glucose = new(
        LabKind.Glucose,
        new(CodeSystems.Loinc, "2339-0", "Glucose [Mass/volume] in Blood"), "mg/dL", new(70, 99), new(70, 99), 0);

    public static readonly LabTest Creatinine = new(
        LabKind.Creatinine,
        new(CodeSystems.Loinc, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma"), "mg/dL", new(0.74, 1.35), new(0.59, 1.04), 2);

    public static readonly LabTest Hemoglobin = new(
        LabKind.Hemoglobin,
        new(CodeSystems.Loinc, "718-7", "Hemoglobin [Mass/volume] in Blood"), "g/dL", new(13.2, 16.6), new(11.6, 15.0), 1);

    public static readonly LabTest Leukocytes = new(
        LabKind.Leukocytes,
        new(CodeSystems.Loinc, "6690-2", "Leukocytes [#/volume] in Blood by Automated count"), "10*3/uL", new(4.5, 11.0), new(4.5, 11.0), 1);

    public static readonly LabTest Potassium = new(
        LabKind.Potassium,
        new(CodeSystems.Loinc, "2823-3", "Potassium [Moles/volume] in Serum or Plasma"), "mmol/L", new(3.5, 5.1), new(3.5, 5.1), 1);

    public static readonly LabTest Sodium = new(
        LabKind.Sodium,
        new(CodeSystems.Loinc, "2951-2", "Sodium [Moles/volume] in Serum or Plasma"), "mmol/L", new(135, 145), new(135, 145), 0);

    public static readonly LabTest HemoglobinA1c = new(
        LabKind.HemoglobinA1c,
        new(CodeSystems.Loinc, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), "%", new(4.0, 5.6), new(4.0, 5.6), 1);

    /// <summary>The basic panel drawn at check-ups, in the ED and on admission (HbA1c is ordered separately).</summary>
    public static readonly IReadOnlyList<LabTest> BasicPanel = [Glucose, Creatinine, Hemoglobin, Leukocytes, Potassium, Sodium];
}

internal static class Medications
{
    private static Concept Rx(string code, string display) => new(CodeSystems.RxNorm, code, display);

    public static readonly MedicationTemplate Metformin = new(Rx("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"), "Take 1 tablet by mouth twice daily with meals", 2, 90);
    public static readonly MedicationTemplate Insulin = new(Rx("106892", "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension [Humulin]"), "Inject 20 units subcutaneously twice daily before meals", 2, 90);
    public static readonly MedicationTemplate Lisinopril = new(Rx("314076", "lisinopril 10 MG Oral Tablet"), "Take 1 tablet by mouth once daily", 1, 90);
    public static readonly MedicationTemplate Amlodipine = new(Rx("197361", "amlodipine 5 MG Oral Tablet"), "Take 1 tablet by mouth once daily", 1, 90);
    public static readonly MedicationTemplate Atorvastatin = new(Rx("259255", "atorvastatin 80 MG Oral Tablet"), "Take 1 tablet by mouth once daily at bedtime", 1, 90);
    public static readonly MedicationTemplate Albuterol = new(Rx("745679", "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"), "Inhale 2 puffs every 4 to 6 hours as needed for wheezing", 4, 30);
    public static readonly MedicationTemplate Fluticasone = new(Rx("895994", "120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler"), "Inhale 2 puffs twice daily", 2, 30);
    public static readonly MedicationTemplate Clopidogrel = new(Rx("309362", "clopidogrel 75 MG Oral Tablet"), "Take 1 tablet by mouth once daily", 1, 90);
    public static readonly MedicationTemplate Metoprolol = new(Rx("866414", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet"), "Take 1 tablet by mouth once daily", 1, 90);
    public static readonly MedicationTemplate Furosemide = new(Rx("313988", "furosemide 40 MG Oral Tablet"), "Take 1 tablet by mouth every morning", 1, 90);
    public static readonly MedicationTemplate Warfarin = new(Rx("855332", "warfarin sodium 5 MG Oral Tablet"), "Take 1 tablet by mouth once daily; dose adjusted to INR", 1, 30);
    public static readonly MedicationTemplate Epoetin = new(Rx("205923", "1 ML epoetin alfa 4000 UNT/ML Injection [Epogen]"), "Inject 4000 units subcutaneously three times weekly", 1, 30);
    public static readonly MedicationTemplate Sertraline = new(Rx("312938", "sertraline 100 MG Oral Tablet"), "Take 1 tablet by mouth once daily", 1, 90);
    public static readonly MedicationTemplate Levothyroxine = new(Rx("966222", "levothyroxine sodium 0.075 MG Oral Tablet"), "Take 1 tablet by mouth every morning on an empty stomach", 1, 90);
    public static readonly MedicationTemplate Naproxen = new(Rx("849574", "naproxen sodium 220 MG Oral Tablet"), "Take 1 tablet by mouth every 12 hours as needed for pain", 2, 30);
    public static readonly MedicationTemplate Acetaminophen = new(Rx("313782", "acetaminophen 325 MG Oral Tablet"), "Take 2 tablets by mouth every 6 hours as needed for pain or fever", 4, 7);
    public static readonly MedicationTemplate Ibuprofen = new(Rx("310965", "ibuprofen 200 MG Oral Tablet"), "Take 2 tablets by mouth every 6 hours as needed for pain", 4, 7);
    public static readonly MedicationTemplate Amoxicillin = new(Rx("308192", "amoxicillin 500 MG Oral Tablet"), "Take 1 tablet by mouth every 8 hours for 10 days", 3, 10);
    public static readonly MedicationTemplate AmoxicillinClavulanate = new(Rx("562251", "amoxicillin 250 MG / clavulanate 125 MG Oral Tablet"), "Take 1 tablet by mouth every 8 hours for 7 days", 3, 7);
    public static readonly MedicationTemplate Penicillin = new(Rx("834061", "penicillin V potassium 250 MG Oral Tablet"), "Take 1 tablet by mouth 4 times daily for 10 days", 4, 10);
    public static readonly MedicationTemplate Ciprofloxacin = new(Rx("309309", "ciprofloxacin 500 MG Oral Tablet"), "Take 1 tablet by mouth every 12 hours for 7 days", 2, 7);
    public static readonly MedicationTemplate Oxycodone = new(Rx("1049221", "acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet"), "Take 1 tablet by mouth every 6 hours as needed for severe pain", 4, 5);
    public static readonly MedicationTemplate Cefazolin = new(Rx("1665060", "cefazolin 2000 MG Injection"), "Administer 2 g intravenously every 8 hours", 3, 3);
    public static readonly MedicationTemplate PiperacillinTazobactam = new(Rx("1659131", "piperacillin 4000 MG / tazobactam 500 MG Injection"), "Administer 4.5 g intravenously every 6 hours", 4, 7);
    public static readonly MedicationTemplate Aspirin = new(Rx("243670", "aspirin 81 MG Oral Tablet"), "Take 1 tablet by mouth once daily", 1, 90);
}

internal static class ChronicConditions
{
    private static Concept Sct(string code, string display) => new(CodeSystems.Snomed, code, display);

    public static readonly IReadOnlyList<ChronicCondition> All =
    [
        new(ChronicKind.Diabetes, Sct("44054006", "Diabetes mellitus type 2"), 15, 0.03, 0.14, 0.24, Medications.Metformin, Medications.Insulin),
        new(ChronicKind.Hypertension, Sct("59621000", "Essential hypertension"), 18, 0.08, 0.33, 0.60, Medications.Lisinopril, Medications.Amlodipine),
        new(ChronicKind.Hyperlipidemia, Sct("55822004", "Hyperlipidemia"), 20, 0.06, 0.25, 0.40, Medications.Atorvastatin),
        new(ChronicKind.Asthma, Sct("195967001", "Asthma"), 2, 0.08, 0.08, 0.07, Medications.Albuterol),
        new(ChronicKind.Copd, Sct("13645005", "Chronic obstructive lung disease"), 40, 0.01, 0.06, 0.11, Medications.Fluticasone),
        new(ChronicKind.CoronaryDisease, Sct("53741008", "Coronary arteriosclerosis"), 35, 0.005, 0.06, 0.18, Medications.Clopidogrel, Medications.Metoprolol),
        new(ChronicKind.HeartFailure, Sct("84114007", "Heart failure"), 40, 0.002, 0.02, 0.08, Medications.Furosemide),
        new(ChronicKind.AtrialFibrillation, Sct("49436004", "Atrial fibrillation"), 40, 0.002, 0.02, 0.09, Medications.Warfarin),
        new(ChronicKind.KidneyDisease, Sct("433144002", "Chronic kidney disease stage 3"), 30, 0.01, 0.06, 0.16, Medications.Epoetin),
        new(ChronicKind.Depression, Sct("35489007", "Depressive disorder"), 12, 0.08, 0.08, 0.06, Medications.Sertraline),
        new(ChronicKind.Hypothyroidism, Sct("40930008", "Hypothyroidism"), 18, 0.03, 0.06, 0.09, Medications.Levothyroxine),
        new(ChronicKind.Osteoarthritis, Sct("239873007", "Osteoarthritis of knee"), 40, 0.01, 0.10, 0.25, Medications.Naproxen),
        new(ChronicKind.Obesity, Sct("414916001", "Obesity"), 12, 0.0, 0.0, 0.0, null),
    ];
}

internal static class AcuteConditions
{
    private static Concept Sct(string code, string display) => new(CodeSystems.Snomed, code, display);

    public static readonly Concept ThroatCulture = Sct("117015009", "Throat culture");
    public static readonly Concept Suture = Sct("288086009", "Suture open wound");
    public static readonly Concept ChestXray = Sct("399208008", "Plain chest X-ray");
    public static readonly Concept Electrocardiogram = Sct("29303009", "Electrocardiographic procedure");
    public static readonly Concept CtScan = Sct("77477000", "Computerized axial tomography");
    public static readonly Concept Appendectomy = Sct("80146002", "Appendectomy");
    public static readonly Concept CoronaryIntervention = Sct("415070008", "Percutaneous coronary intervention");
    public static readonly Concept HipReplacement = Sct("52734007", "Total replacement of hip");
    public static readonly Concept Echocardiography = Sct("40701008", "Echocardiography");
    public static readonly Concept BloodCulture = Sct("30088009", "Blood culture");
    public static readonly Concept BoneImmobilization = Sct("274474001", "Bone immobilization");

    public static readonly IReadOnlyList<AcuteCondition> All =
    [
        // Ambulatory (sick visits).
        new(Sct("444814009", "Viral sinusitis"), CareSetting.Ambulatory, 2, 95, false, true, null, null, 0, 14),
        new(Sct("195662009", "Acute viral pharyngitis"), CareSetting.Ambulatory, 2, 95, true, true, Medications.Acetaminophen, null, 0, 10),
        new(Sct("43878008", "Streptococcal sore throat"), CareSetting.Ambulatory, 3, 60, true, true, Medications.Penicillin, ThroatCulture, 10, 10),
        new(Sct("10509002", "Acute bronchitis"), CareSetting.Ambulatory, 1, 95, false, true, Medications.Acetaminophen, null, 0, 21),
        new(Sct("65363002", "Otitis media"), CareSetting.Ambulatory, 0, 12, true, true, Medications.Amoxicillin, null, 0, 10),
        new(Sct("68566005", "Urinary tract infectious disease"), CareSetting.Ambulatory, 5, 95, false, true, Medications.Ciprofloxacin, null, 0, 7),
        new(Sct("44465007", "Sprain of ankle"), CareSetting.Ambulatory, 8, 80, false, false, Medications.Ibuprofen, null, 0, 28),
        new(Sct("128045006", "Cellulitis"), CareSetting.Ambulatory, 5, 95, false, true, Medications.AmoxicillinClavulanate, null, 0, 14),

        // Emergency department.
        new(Sct("29857009", "Chest pain"), CareSetting.Emergency, 25, 95, false, false, Medications.Aspirin, Electrocardiogram, 15, 2),
        new(Sct("284549007", "Laceration of hand"), CareSetting.Emergency, 3, 90, false, false, Medications.Ibuprofen, Suture, 30, 14),
        new(Sct("65966004", "Fracture of forearm"), CareSetting.Emergency, 3, 95, false, false, Medications.Oxycodone, BoneImmobilization, 30, 42),
        new(Sct("62106007", "Concussion with no loss of consciousness"), CareSetting.Emergency, 3, 95, false, false, Medications.Acetaminophen, CtScan, 20, 14),
        new(Sct("25374005", "Gastroenteritis"), CareSetting.Emergency, 0, 95, true, true, null, null, 0, 5),
        new(Sct("233604007", "Pneumonia"), CareSetting.Emergency, 0, 95, true, true, Medications.Amoxicillin, ChestXray, 20, 21) { Hypoxic = true },

        // Inpatient admissions.
        new(Sct("233604007", "Pneumonia"), CareSetting.Inpatient, 0, 95, true, true, Medications.PiperacillinTazobactam, ChestXray, 20, 21) { Hypoxic = true },
        new(Sct("91302008", "Sepsis"), CareSetting.Inpatient, 0, 95, true, true, Medications.PiperacillinTazobactam, BloodCulture, 10, 21) { Hypoxic = true, Ward = WardKind.IntensiveCare },
        new(Sct("22298006", "Myocardial infarction"), CareSetting.Inpatient, 35, 95, false, false, Medications.Clopidogrel, CoronaryIntervention, 90, 42) { Ward = WardKind.Cardiology },
        new(Sct("230690007", "Cerebrovascular accident"), CareSetting.Inpatient, 40, 95, false, false, Medications.Aspirin, CtScan, 20, 90),
        new(Sct("74400008", "Appendicitis"), CareSetting.Inpatient, 5, 70, true, true, Medications.Cefazolin, Appendectomy, 75, 21) { Ward = WardKind.Surgical },
        new(Sct("195951007", "Acute exacerbation of chronic obstructive airways disease"), CareSetting.Inpatient, 45, 95, false, false, Medications.Fluticasone, ChestXray, 20, 21) { Requires = ChronicKind.Copd, Hypoxic = true },
        new(Sct("45816000", "Pyelonephritis"), CareSetting.Inpatient, 10, 95, true, true, Medications.Ciprofloxacin, null, 0, 14),
        new(Sct("5913000", "Fracture of neck of femur"), CareSetting.Inpatient, 60, 95, false, false, Medications.Oxycodone, HipReplacement, 120, 90) { Ward = WardKind.Surgical },
        new(Sct("84114007", "Heart failure"), CareSetting.Inpatient, 50, 95, false, false, Medications.Furosemide, Echocardiography, 40, 30) { Requires = ChronicKind.HeartFailure, Hypoxic = true, Ward = WardKind.Cardiology },
    ];
}

internal static class RoutineProcedures
{
    public static readonly Concept DepressionScreening = new(CodeSystems.Snomed, "171207006", "Depression screening");
    public static readonly Concept MedicationReconciliation = new(CodeSystems.Snomed, "430193006", "Medication reconciliation");
    public static readonly Concept Spirometry = new(CodeSystems.Snomed, "127783003", "Spirometry");
}

internal static class Vaccines
{
    private const int Year = 365;

    private static Concept Cvx(string code, string display) => new(CodeSystems.Cvx, code, display);

    /// <summary>Simplified US childhood schedule; doses due before a patient's record starts count as given.</summary>
    public static readonly IReadOnlyList<VaccineSchedule> Childhood =
    [
        new(Cvx("08", "Hep B, adolescent or pediatric"), [0, 30, 180]),
        new(Cvx("116", "rotavirus, pentavalent"), [60, 120, 180]),
        new(Cvx("20", "DTaP"), [60, 120, 180, 450, 4 * Year]),
        new(Cvx("49", "Hib (PRP-OMP)"), [60, 120, Year]),
        new(Cvx("133", "Pneumococcal conjugate PCV 13"), [60, 120, 180, Year]),
        new(Cvx("10", "IPV"), [60, 120, 180, 4 * Year]),
        new(Cvx("03", "MMR"), [Year, 4 * Year]),
        new(Cvx("21", "varicella"), [Year, 4 * Year]),
        new(Cvx("83", "Hep A, ped/adol, 2 dose"), [Year, 545]),
        new(Cvx("115", "Tdap"), [11 * Year]),
        new(Cvx("62", "HPV, quadrivalent"), [11 * Year, (11 * Year) + 180]),
        new(Cvx("114", "meningococcal MCV4P"), [11 * Year, 16 * Year]),
        new(Cvx("187", "zoster recombinant"), [50 * Year, (50 * Year) + 90]),
        new(Cvx("33", "pneumococcal polysaccharide vaccine, 23 valent"), [65 * Year]),
    ];

    public static readonly Concept Influenza = Cvx("140", "Influenza, seasonal, injectable, preservative free");
}

internal static class Allergies
{
    private static Concept Sct(string code, string display) => new(CodeSystems.Snomed, code, display);

    public static readonly Concept Anaphylaxis = Sct("39579001", "Anaphylaxis");
    private static readonly Concept Hives = Sct("247472004", "Wheal");
    private static readonly Concept Rash = Sct("271807003", "Eruption of skin");
    private static readonly Concept Dyspnea = Sct("267036007", "Dyspnea");
    private static readonly Concept Sneezing = Sct("76067001", "Sneezing");
    private static readonly Concept Cough = Sct("49727002", "Cough");

    public static readonly IReadOnlyList<AllergyTemplate> All =
    [
        new(Sct("91935009", "Allergy to peanuts"), AllergyCategory.Food, 0.5, [Hives, Anaphylaxis]),
        new(Sct("91934008", "Allergy to nut"), AllergyCategory.Food, 0.4, [Hives, Anaphylaxis]),
        new(Sct("300913006", "Shellfish allergy"), AllergyCategory.Food, 0.3, [Hives, Dyspnea]),
        new(Sct("417532002", "Allergy to fish"), AllergyCategory.Food, 0.2, [Hives, Rash]),
        new(Sct("91930004", "Allergy to eggs"), AllergyCategory.Food, 0.1, [Rash]),
        new(Sct("425525006", "Allergy to dairy product"), AllergyCategory.Food, 0.05, [Rash]),
        new(Sct("91936005", "Allergy to penicillin"), AllergyCategory.Medication, 0.3, [Hives, Rash, Anaphylaxis]),
        new(Sct("293586001", "Allergy to aspirin"), AllergyCategory.Medication, 0.1, [Hives, Dyspnea]),
        new(Sct("300916003", "Latex allergy"), AllergyCategory.Environment, 0.2, [Rash, Hives]),
        new(Sct("418689008", "Allergy to grass pollen"), AllergyCategory.Environment, 0.02, [Sneezing, Cough]),
        new(Sct("232347008", "Dander (animal) allergy"), AllergyCategory.Environment, 0.02, [Sneezing, Cough]),
        new(Sct("232350006", "House dust mite allergy"), AllergyCategory.Environment, 0.02, [Sneezing, Cough]),
        new(Sct("419474003", "Allergy to mould"), AllergyCategory.Environment, 0.02, [Sneezing, Dyspnea]),
    ];
}

/// <summary>Encounter classes (v3 ActCode), encounter types (SNOMED CT) and related administrative codes.</summary>
internal static class EncounterCodes
{
    public static readonly Concept Ambulatory = new(CodeSystems.ActCode, "AMB", "ambulatory");
    public static readonly Concept Emergency = new(CodeSystems.ActCode, "EMER", "emergency");
    public static readonly Concept Inpatient = new(CodeSystems.ActCode, "IMP", "inpatient encounter");

    public static readonly Concept CheckUp = new(CodeSystems.Snomed, "185349003", "Encounter for check up");
    public static readonly Concept WellChild = new(CodeSystems.Snomed, "410620009", "Well child visit");
    public static readonly Concept Symptom = new(CodeSystems.Snomed, "185345009", "Encounter for symptom");
    public static readonly Concept EmergencyVisit = new(CodeSystems.Snomed, "50849002", "Emergency room admission");
    public static readonly Concept HospitalAdmission = new(CodeSystems.Snomed, "32485007", "Hospital admission");
    public static readonly Concept EmergencyAdmission = new(CodeSystems.Snomed, "183452005", "Emergency hospital admission");

    public static readonly Concept Attender = new(CodeSystems.ParticipationType, "ATND", "attender");
    public static readonly Concept PrimaryPerformer = new(CodeSystems.ParticipationType, "PPRF", "primary performer");
    public static readonly Concept AdmittedFromEmergency = new(CodeSystems.AdmitSource, "emd", "From accident/emergency department");
    public static readonly Concept AdmittedOnReferral = new(CodeSystems.AdmitSource, "gp", "General Practitioner referral");
    public static readonly Concept Readmission = new(CodeSystems.ReadmissionIndicator, "R", "Re-admission");
    public static readonly Concept DischargeDiagnosis = new(CodeSystems.DiagnosisRole, "DD", "Discharge diagnosis");

    public static readonly Concept DischargedHome = new(CodeSystems.DischargeDisposition, "home", "Home");
    public static readonly Concept DischargedToSkilledNursing = new(CodeSystems.DischargeDisposition, "snf", "Skilled nursing facility");
    public static readonly Concept DischargedToRehab = new(CodeSystems.DischargeDisposition, "rehab", "Rehabilitation");
    public static readonly Concept DischargedToOtherFacility = new(CodeSystems.DischargeDisposition, "other-hcf", "Other healthcare facility");
    public static readonly Concept LeftAgainstAdvice = new(CodeSystems.DischargeDisposition, "aadvice", "Left against advice");
    public static readonly Concept Expired = new(CodeSystems.DischargeDisposition, "exp", "Expired");
}

/// <summary>Status and category codes whose code systems FHIR R4 binds (required/extensible) for these resources.</summary>
internal static class StatusCodes
{
    public static readonly Concept ConditionActive = new(CodeSystems.ConditionClinical, "active", "Active");
    public static readonly Concept ConditionResolved = new(CodeSystems.ConditionClinical, "resolved", "Resolved");
    public static readonly Concept ConditionConfirmed = new(CodeSystems.ConditionVerification, "confirmed", "Confirmed");
    public static readonly Concept ConditionProvisional = new(CodeSystems.ConditionVerification, "provisional", "Provisional");
    public static readonly Concept EncounterDiagnosis = new(CodeSystems.ConditionCategory, "encounter-diagnosis", "Encounter Diagnosis");
    public static readonly Concept ProblemListItem = new(CodeSystems.ConditionCategory, "problem-list-item", "Problem List Item");

    public static readonly Concept AllergyActive = new(CodeSystems.AllergyClinical, "active", "Active");
    public static readonly Concept AllergyInactive = new(CodeSystems.AllergyClinical, "inactive", "Inactive");
    public static readonly Concept AllergyConfirmed = new(CodeSystems.AllergyVerification, "confirmed", "Confirmed");
    public static readonly Concept AllergyUnconfirmed = new(CodeSystems.AllergyVerification, "unconfirmed", "Unconfirmed");

    public static readonly Concept VitalSignsCategory = new(CodeSystems.ObservationCategory, "vital-signs", "Vital Signs");
    public static readonly Concept LaboratoryCategory = new(CodeSystems.ObservationCategory, "laboratory", "Laboratory");
    public static readonly Concept High = new(CodeSystems.ObservationInterpretation, "H", "High");
    public static readonly Concept Low = new(CodeSystems.ObservationInterpretation, "L", "Low");
    public static readonly Concept Normal = new(CodeSystems.ObservationInterpretation, "N", "Normal");

    public static readonly Concept MedicalRecordNumber = new(CodeSystems.IdentifierType, "MR", "Medical record number");
    public static readonly Concept ProviderNumber = new(CodeSystems.IdentifierType, "NPI", "National provider identifier");
    public static readonly Concept DoctorOfMedicine = new(CodeSystems.Degree, "MD", "Doctor of Medicine");
    public static readonly Concept HealthcareProvider = new(CodeSystems.OrganizationType, "prov", "Healthcare Provider");

    public static readonly Concept Ward = new(CodeSystems.LocationPhysicalType, "wa", "Ward");
    public static readonly Concept Bed = new(CodeSystems.LocationPhysicalType, "bd", "Bed");
    public static readonly Concept Area = new(CodeSystems.LocationPhysicalType, "area", "Area");
    public static readonly Concept Building = new(CodeSystems.LocationPhysicalType, "bu", "Building");
    public static readonly Concept HospitalUnit = new(CodeSystems.RoleCode, "HU", "Hospital unit");
    public static readonly Concept IntensiveCareUnit = new(CodeSystems.RoleCode, "ICU", "Intensive care unit");
    public static readonly Concept PediatricUnit = new(CodeSystems.RoleCode, "PEDU", "Pediatric unit");
    public static readonly Concept EmergencyRoom = new(CodeSystems.RoleCode, "ER", "Emergency room");
    public static readonly Concept GeneralMedicineClinic = new(CodeSystems.RoleCode, "GIM", "General internal medicine clinic");
}
