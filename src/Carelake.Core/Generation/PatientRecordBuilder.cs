using System.Globalization;
using Hl7.Fhir.Model;

namespace Carelake.Core.Generation;

/// <summary>The acute problem an encounter is about, with the id of the Condition that documents it.</summary>
internal sealed record AcuteProblem(AcuteCondition Reason, string ConditionId);

/// <summary>
/// Writes one patient's record: the Patient resource, then each planned encounter with the conditions, vital signs,
/// labs, orders, procedures, immunizations and allergies documented during it. All clinical decisions (what is
/// measured, prescribed or done) are made here; <see cref="ResourceFactory"/> only encodes them.
/// </summary>
internal sealed class PatientRecordBuilder
{
    private readonly SyntheticRandom _random;
    private readonly IdFactory _ids;
    private readonly CareNetwork _network;
    private readonly DateTimeOffset _now;
    private readonly PatientProfileFactory _profiles;
    private readonly EncounterPlanner _planner;
    private readonly Physiology _physiology;
    private readonly ResourceFactory _factory;
    private readonly PatientDemographics _demographics;
    private readonly List<Resource> _output = [];

    public PatientRecordBuilder(SyntheticRandom random, IdFactory ids, CareNetwork network, DateTimeOffset now)
    {
        _random = random;
        _ids = ids;
        _network = network;
        _now = now;
        _profiles = new PatientProfileFactory(random, ids, network, now);
        _planner = new EncounterPlanner(random);
        _physiology = new Physiology(random);
        _factory = new ResourceFactory(ids);
        _demographics = new PatientDemographics(random);
    }

    /// <summary>Builds the next patient. The returned list is reused by the next call.</summary>
    public IReadOnlyList<Resource> Build(int number)
    {
        _output.Clear();
        var patient = _profiles.Create(number);
        var chart = new PatientChart(patient);
        _output.Add(_demographics.Create(patient));

        foreach (var planned in _planner.Plan(patient))
        {
            RecordEncounter(chart, planned);
        }

        if (patient.DeathDate is not null)
        {
            StopCurrentOrders(chart);
        }

        return _output;
    }

    private void RecordEncounter(PatientChart chart, PlannedEncounter plan)
    {
        var context = NewContext(chart.Patient, plan);
        // The condition id is drawn first because the Encounter references the Condition written after it.
        var problem = plan.Reason is null ? null : new AcuteProblem(plan.Reason, _ids.Next());
        _output.Add(ResourceFactory.Encounter(context, problem?.ConditionId, plan.Kind == EncounterKind.Inpatient ? Disposition(context) : null));

        if (problem is not null)
        {
            RecordAcuteCondition(context, problem);
        }

        RecordNewChronicConditions(chart, context);
        if (!chart.AllergiesRecorded)
        {
            RecordAllergies(context);
            chart.AllergiesRecorded = true;
        }

        switch (plan.Kind, problem)
        {
            case (EncounterKind.Sick, not null):
                RecordSickVisit(context, problem);
                break;
            case (EncounterKind.Emergency, not null):
                RecordEmergencyVisit(context, problem);
                break;
            case (EncounterKind.Inpatient, not null):
                RecordAdmission(context, problem);
                break;
            default:
                RecordWellnessVisit(chart, context);
                break;
        }
    }

    private EncounterContext NewContext(PatientProfile patient, PlannedEncounter plan)
    {
        var encounterId = _ids.Next();
        var hospital = patient.Hospital;
        return plan.Kind switch
        {
            EncounterKind.Wellness or EncounterKind.Sick => new EncounterContext(
                patient,
                plan,
                encounterId,
                // Most visits are with the patient's own doctor; covering colleagues see the rest.
                _random.Chance(0.85) ? patient.PrimaryCare : _random.Pick(_network.PrimaryCare),
                patient.Clinic.OrganizationId,
                patient.Clinic.LocationId),
            EncounterKind.Emergency => new EncounterContext(
                patient, plan, encounterId, _random.Pick(_network.EmergencyPhysicians), hospital.OrganizationId, hospital.EmergencyLocationId),
            _ => new EncounterContext(
                patient, plan, encounterId, _random.Pick(_network.Hospitalists), hospital.OrganizationId, WardFor(patient, plan).LocationId),
        };
    }

    private static Ward WardFor(PatientProfile patient, PlannedEncounter plan)
    {
        var kind = patient.AgeAt(plan.Start) < 18 ? WardKind.Pediatrics : plan.Reason?.Ward ?? WardKind.GeneralMedicine;
        return patient.Hospital.WardFor(kind);
    }

    private Concept Disposition(EncounterContext context)
    {
        if (context.Plan.IsTerminal)
        {
            return EncounterCodes.Expired;
        }

        var elderly = context.Patient.AgeAt(context.Plan.End) >= 75;
        var draw = _random.NextDouble();
        return elderly
            ? draw switch
            {
                < 0.60 => EncounterCodes.DischargedHome,
                < 0.80 => EncounterCodes.DischargedToSkilledNursing,
                < 0.92 => EncounterCodes.DischargedToRehab,
                < 0.97 => EncounterCodes.DischargedToOtherFacility,
                _ => EncounterCodes.LeftAgainstAdvice,
            }
            : draw switch
            {
                < 0.88 => EncounterCodes.DischargedHome,
                < 0.93 => EncounterCodes.DischargedToRehab,
                < 0.96 => EncounterCodes.DischargedToOtherFacility,
                _ => EncounterCodes.LeftAgainstAdvice,
            };
    }

    private void RecordAcuteCondition(EncounterContext context, AcuteProblem problem)
    {
        var plan = context.Plan;
        var reason = problem.Reason;
        // Symptoms usually start a little before the patient presents.
        var onset = plan.Start.AddMinutes(-_random.Between(60, 3 * 24 * 60));
        DateTimeOffset? abatement = plan.Start.AddDays(reason.ResolveDays);
        if (plan.IsTerminal || abatement > _now || abatement > context.Patient.RecordEnd)
        {
            abatement = null;
        }

        _output.Add(ResourceFactory.Condition(problem.ConditionId, context, reason.Concept, StatusCodes.EncounterDiagnosis, onset, abatement));
    }

    private void RecordNewChronicConditions(PatientChart chart, EncounterContext context)
    {
        foreach (var diagnosis in chart.Patient.Chronic)
        {
            var kind = diagnosis.Condition.Kind;
            if (diagnosis.Onset > context.Plan.Start || chart.ChronicConditionIds.ContainsKey(kind))
            {
                continue;
            }

            var conditionId = _ids.Next();
            chart.ChronicConditionIds[kind] = conditionId;
            chart.DiagnosedAt[kind] = context.EncounterId;
            _output.Add(ResourceFactory.Condition(conditionId, context, diagnosis.Condition.Concept, StatusCodes.ProblemListItem, diagnosis.Onset, abatement: null));

            var authored = context.Plan.Start.AddMinutes(10);
            OrderLongTermMedication(chart, context, diagnosis.Condition.Medication, conditionId, authored);
            if (diagnosis.NeedsSecondLine)
            {
                OrderLongTermMedication(chart, context, diagnosis.Condition.SecondLine, conditionId, authored);
            }
        }
    }

    private void OrderLongTermMedication(PatientChart chart, EncounterContext context, MedicationTemplate? medication, string conditionId, DateTimeOffset authored)
    {
        if (medication is null)
        {
            return;
        }

        if (chart.CurrentOrders.TryGetValue(medication, out var previous))
        {
            previous.Status = MedicationRequest.MedicationrequestStatus.Completed;
        }

        var order = _factory.MedicationRequest(context, medication, authored, conditionId, MedicationRequest.MedicationrequestStatus.Active);
        chart.CurrentOrders[medication] = order;
        _output.Add(order);
    }

    private void RecordAllergies(EncounterContext context)
    {
        if (!_random.Chance(0.22))
        {
            return;
        }

        var first = _random.Pick(Allergies.All);
        RecordAllergy(context, first);
        if (_random.Chance(0.3))
        {
            var second = _random.Pick(Allergies.All);
            if (!ReferenceEquals(second, first))
            {
                RecordAllergy(context, second);
            }
        }
    }

    private void RecordAllergy(EncounterContext context, AllergyTemplate allergy)
    {
        var birth = context.Patient.BirthDate;
        var onset = birth.AddDays(_random.NextDouble() * (context.Plan.Start - birth).TotalDays);
        var reaction = _random.Pick(allergy.Reactions);
        var anaphylaxis = ReferenceEquals(reaction, Allergies.Anaphylaxis);
        var facts = new AllergyFacts(
            allergy,
            reaction,
            new DateTimeOffset(onset.Date, onset.Offset),
            Active: allergy.Category != AllergyCategory.Environment || _random.Chance(0.8),
            Confirmed: _random.Chance(0.85),
            HighCriticality: anaphylaxis || _random.Chance(allergy.HighCriticalityRate),
            Severe: anaphylaxis || _random.Chance(0.1));
        _output.Add(_factory.AllergyIntolerance(context, facts));
    }

    private void RecordWellnessVisit(PatientChart chart, EncounterContext context)
    {
        var patient = context.Patient;
        var start = context.Plan.Start;
        var age = patient.AgeAt(start);
        RecordVitals(context, start.AddMinutes(5), default, full: true);

        if (age >= 18 && _random.Chance(patient.ChronicCountAt(start) > 0 ? 0.6 : 0.3))
        {
            RecordLabs(context, start.AddMinutes(25), default, includeHbA1c: patient.Has(ChronicKind.Diabetes, start) || (age >= 40 && _random.Chance(0.3)));
        }

        RecordImmunizations(chart, context, start.AddMinutes(15));
        RenewLongTermMedications(chart, context, start.AddMinutes(12));
        RecordScreenings(chart, context, age);
    }

    private void RecordSickVisit(EncounterContext context, AcuteProblem problem)
    {
        var (reason, reasonId) = problem;
        var start = context.Plan.Start;
        RecordVitals(context, start.AddMinutes(3), AcuteStateFor(reason), full: false);
        if (reason.Procedure is not null)
        {
            _output.Add(_factory.Procedure(context, reason.Procedure, start.AddMinutes(8), Math.Max(5, reason.ProcedureMinutes), reasonId, context.Practitioner));
        }

        if (reason.Medication is not null && _random.Chance(0.8))
        {
            RecordShortCourse(context, reason.Medication, context.Plan.End.AddMinutes(-2), reasonId);
        }
    }

    private void RecordEmergencyVisit(EncounterContext context, AcuteProblem problem)
    {
        var (reason, reasonId) = problem;
        var start = context.Plan.Start;
        var acute = AcuteStateFor(reason);
        RecordVitals(context, start.AddMinutes(10), acute, full: false);
        if (_random.Chance(0.5))
        {
            RecordLabs(context, start.AddMinutes(40), acute, includeHbA1c: false);
        }

        if (reason.Procedure is not null && _random.Chance(0.9))
        {
            _output.Add(_factory.Procedure(context, reason.Procedure, start.AddMinutes(60), Math.Max(5, reason.ProcedureMinutes), reasonId, context.Practitioner));
        }

        if (reason.Medication is not null && _random.Chance(0.8))
        {
            RecordShortCourse(context, reason.Medication, context.Plan.End.AddMinutes(-10), reasonId);
        }
    }

    private void RecordAdmission(EncounterContext context, AcuteProblem problem)
    {
        var plan = context.Plan;
        var (reason, reasonId) = problem;
        var acute = AcuteStateFor(reason);
        RecordVitals(context, plan.Start.AddMinutes(30), acute, full: false);
        RecordLabs(context, plan.Start.AddMinutes(75), acute, includeHbA1c: false);
        if (plan.End - plan.Start > TimeSpan.FromDays(3) && _random.Chance(0.6))
        {
            // Follow-up labs on day two show the response to treatment.
            RecordLabs(context, plan.Start.AddDays(1).AddMinutes(_random.Between(0, 240)), acute with { Febrile = false }, includeHbA1c: false);
        }

        if (reason.Procedure is not null)
        {
            var surgeon = reason.ProcedureMinutes >= 60 ? _random.Pick(_network.Surgeons) : context.Practitioner;
            var at = plan.Start.AddMinutes(_random.Between(90, 20 * 60));
            _output.Add(_factory.Procedure(context, reason.Procedure, at, reason.ProcedureMinutes, reasonId, surgeon));
        }

        if (reason.Medication is not null)
        {
            // Inpatient course: ordered on admission, completed by discharge (or death).
            _output.Add(_factory.MedicationRequest(
                context, reason.Medication, plan.Start.AddMinutes(90), reasonId, MedicationRequest.MedicationrequestStatus.Completed));
        }

        if (!plan.IsTerminal)
        {
            RecordVitals(context, plan.End.AddMinutes(-120), default, full: false);
        }
    }

    private void RecordShortCourse(EncounterContext context, MedicationTemplate medication, DateTimeOffset authored, string reasonId)
    {
        var finished = authored.AddDays(medication.DurationDays) < _now;
        var status = finished ? MedicationRequest.MedicationrequestStatus.Completed : MedicationRequest.MedicationrequestStatus.Active;
        _output.Add(_factory.MedicationRequest(context, medication, authored, reasonId, status));
    }

    private void RenewLongTermMedications(PatientChart chart, EncounterContext context, DateTimeOffset authored)
    {
        foreach (var diagnosis in chart.Patient.Chronic)
        {
            var kind = diagnosis.Condition.Kind;
            // Orders written at this very visit (new diagnoses) need no renewal.
            if (!chart.ChronicConditionIds.TryGetValue(kind, out var conditionId)
                || chart.DiagnosedAt[kind] == context.EncounterId
                || !_random.Chance(0.7))
            {
                continue;
            }

            OrderLongTermMedication(chart, context, diagnosis.Condition.Medication, conditionId, authored);
            if (diagnosis.NeedsSecondLine)
            {
                OrderLongTermMedication(chart, context, diagnosis.Condition.SecondLine, conditionId, authored);
            }
        }
    }

    private void RecordScreenings(PatientChart chart, EncounterContext context, double age)
    {
        var at = context.Plan.Start.AddMinutes(20);
        if (age >= 12 && _random.Chance(0.25))
        {
            AddRoutineProcedure(context, RoutineProcedures.DepressionScreening, at, 10, null);
        }

        if (chart.ChronicConditionIds.Count >= 2 && _random.Chance(0.5))
        {
            AddRoutineProcedure(context, RoutineProcedures.MedicationReconciliation, at.AddMinutes(5), 10, null);
        }

        var lungs = chart.ChronicConditionIds.GetValueOrDefault(ChronicKind.Copd) ?? chart.ChronicConditionIds.GetValueOrDefault(ChronicKind.Asthma);
        if (lungs is not null && _random.Chance(0.3))
        {
            AddRoutineProcedure(context, RoutineProcedures.Spirometry, at.AddMinutes(10), 15, lungs);
        }
    }

    private void AddRoutineProcedure(EncounterContext context, Concept code, DateTimeOffset at, int minutes, string? reasonId) =>
        _output.Add(_factory.Procedure(context, code, at, minutes, reasonId, context.Practitioner));

    private void RecordImmunizations(PatientChart chart, EncounterContext context, DateTimeOffset at)
    {
        var birth = context.Patient.BirthDate;
        for (var i = 0; i < Vaccines.Childhood.Count; i++)
        {
            var schedule = Vaccines.Childhood[i];
            var given = chart.VaccineDosesGiven[i];
            // One dose per vaccine per visit: minimum intervals make same-day catch-up of a series impossible.
            if (given < schedule.DueAgeDays.Count && birth.AddDays(schedule.DueAgeDays[given]) <= at)
            {
                chart.VaccineDosesGiven[i]++;
                AddImmunization(context, schedule.Concept, at);
            }
        }

        // Flu seasons run from August to July; one shot per season for about half the patients who come in.
        var season = at.AddMonths(-7).Year;
        if (context.Patient.AgeAt(at) >= 0.5 && season != chart.LastFluSeason && _random.Chance(0.5))
        {
            chart.LastFluSeason = season;
            AddImmunization(context, Vaccines.Influenza, at);
        }
    }

    private void AddImmunization(EncounterContext context, Concept vaccine, DateTimeOffset at)
    {
        var lot = string.Create(CultureInfo.InvariantCulture, $"LOT{_random.Between(10000, 99999)}");
        _output.Add(_factory.Immunization(context, vaccine, at, lot));
    }

    private void RecordVitals(EncounterContext context, DateTimeOffset at, AcuteState acute, bool full)
    {
        var patient = context.Patient;
        var age = patient.AgeAt(at);
        var vitals = _physiology.Vitals(patient, at, acute);

        AddVital(context, VitalSigns.HeartRate, FhirTypes.Round(vitals.HeartRate, 0), at);
        AddVital(context, VitalSigns.RespiratoryRate, FhirTypes.Round(vitals.RespiratoryRate, 0), at);
        AddVital(context, VitalSigns.BodyTemperature, FhirTypes.Round(vitals.TemperatureCelsius, 1), at);
        AddVital(context, VitalSigns.OxygenSaturation, FhirTypes.Round(vitals.OxygenSaturation, 0), at);
        // Blood pressure is not routinely taken in infants and toddlers.
        if (age >= 3)
        {
            _output.Add(_factory.BloodPressure(context, FhirTypes.Round(vitals.Systolic, 0), FhirTypes.Round(vitals.Diastolic, 0), at));
        }

        if (!full)
        {
            return;
        }

        var weight = FhirTypes.Round(vitals.WeightKg, 1);
        var height = FhirTypes.Round(vitals.HeightCm, 1);
        AddVital(context, VitalSigns.BodyWeight, weight, at);
        AddVital(context, VitalSigns.BodyHeight, height, at);
        if (age >= 2)
        {
            // BMI from the rounded measurements, exactly as an EHR computes it from what was charted.
            var bmi = (double)weight / ((double)height / 100.0 * ((double)height / 100.0));
            AddVital(context, VitalSigns.BodyMassIndex, FhirTypes.Round(bmi, 1), at);
        }
    }

    private void AddVital(EncounterContext context, VitalSign sign, decimal value, DateTimeOffset at) =>
        _output.Add(_factory.VitalSign(context, sign, value, at));

    private void RecordLabs(EncounterContext context, DateTimeOffset at, AcuteState acute, bool includeHbA1c)
    {
        foreach (var test in LabTests.BasicPanel)
        {
            AddLab(context, test, at, acute);
        }

        if (includeHbA1c)
        {
            AddLab(context, LabTests.HemoglobinA1c, at, acute);
        }
    }

    private void AddLab(EncounterContext context, LabTest test, DateTimeOffset at, AcuteState acute)
    {
        var value = _physiology.LabValue(test, context.Patient, at, acute);
        _output.Add(_factory.Lab(context, test, FhirTypes.Round(value, test.Decimals), at));
    }

    private AcuteState AcuteStateFor(AcuteCondition reason) =>
        new(Febrile: reason.Febrile && _random.Chance(0.75), Infection: reason.Infection, Hypoxic: reason.Hypoxic);

    /// <summary>A patient who died has no running prescriptions.</summary>
    private static void StopCurrentOrders(PatientChart chart)
    {
        foreach (var order in chart.CurrentOrders.Values)
        {
            if (order.Status == MedicationRequest.MedicationrequestStatus.Active)
            {
                order.Status = MedicationRequest.MedicationrequestStatus.Stopped;
            }
        }
    }
}
