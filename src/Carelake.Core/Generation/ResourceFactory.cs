using Hl7.Fhir.Model;

namespace Carelake.Core.Generation;

/// <summary>What was decided about one allergy of a patient.</summary>
internal readonly record struct AllergyFacts(
    AllergyTemplate Allergy, Concept Reaction, DateTimeOffset Onset, bool Active, bool Confirmed, bool HighCriticality, bool Severe);

/// <summary>
/// Turns decisions made by <see cref="PatientRecordBuilder"/> into FHIR R4 POCOs. It draws no random numbers itself
/// (apart from ids), so what a record contains is decided in one place and how it is encoded in another.
/// </summary>
internal sealed class ResourceFactory(IdFactory ids)
{
    public static Encounter Encounter(EncounterContext context, string? reasonConditionId, Concept? disposition)
    {
        var plan = context.Plan;
        var period = FhirTypes.Period(plan.Start, plan.End);
        var encounter = new Encounter
        {
            Id = context.EncounterId,
            Status = Hl7.Fhir.Model.Encounter.EncounterStatus.Finished,
            Class = FhirTypes.Coding(ClassOf(plan.Kind)),
            Type = [FhirTypes.ClinicalConcept(TypeOf(context))],
            Subject = PatientReference(context.Patient),
            Participant =
            [
                new Encounter.ParticipantComponent
                {
                    Type = FhirTypes.CodeableConcepts(plan.Kind == EncounterKind.Inpatient ? EncounterCodes.Attender : EncounterCodes.PrimaryPerformer),
                    Period = FhirTypes.Period(plan.Start, plan.End),
                    Individual = PractitionerReference(context.Practitioner),
                },
            ],
            Period = period,
            Location =
            [
                new Encounter.LocationComponent
                {
                    Location = FhirTypes.Reference("Location", context.LocationId),
                    Status = Hl7.Fhir.Model.Encounter.EncounterLocationStatus.Completed,
                    Period = FhirTypes.Period(plan.Start, plan.End),
                },
            ],
            ServiceProvider = FhirTypes.Reference("Organization", context.OrganizationId),
        };

        if (reasonConditionId is not null)
        {
            encounter.ReasonReference = [FhirTypes.Reference("Condition", reasonConditionId)];
        }

        if (plan.Kind == EncounterKind.Inpatient)
        {
            AddHospitalization(encounter, plan, reasonConditionId, disposition);
        }

        return encounter;
    }

    public static Condition Condition(
        string id, EncounterContext context, Concept code, Concept category, DateTimeOffset onset, DateTimeOffset? abatement)
    {
        return new Condition
        {
            Id = id,
            ClinicalStatus = FhirTypes.CodeableConcept(abatement is null ? StatusCodes.ConditionActive : StatusCodes.ConditionResolved),
            VerificationStatus = FhirTypes.CodeableConcept(StatusCodes.ConditionConfirmed),
            Category = FhirTypes.CodeableConcepts(category),
            Code = FhirTypes.ClinicalConcept(code),
            Subject = PatientReference(context.Patient),
            Encounter = EncounterReference(context),
            Onset = new FhirDateTime(FhirTypes.DateTime(onset)),
            Abatement = abatement is null ? null : new FhirDateTime(FhirTypes.DateTime(abatement.Value)),
            RecordedDate = FhirTypes.DateTime(context.Plan.Start),
            Recorder = PractitionerReference(context.Practitioner),
        };
    }

    public Observation VitalSign(EncounterContext context, VitalSign sign, decimal value, DateTimeOffset at)
    {
        var observation = NewObservation(context, StatusCodes.VitalSignsCategory, sign.Concept, at);
        observation.Value = FhirTypes.Quantity(value, sign.Unit);
        return observation;
    }

    public Observation BloodPressure(EncounterContext context, decimal systolic, decimal diastolic, DateTimeOffset at)
    {
        var observation = NewObservation(context, StatusCodes.VitalSignsCategory, VitalSigns.BloodPressurePanel, at);
        observation.Component =
        [
            new Observation.ComponentComponent
            {
                Code = FhirTypes.CodeableConcept(VitalSigns.Systolic.Concept),
                Value = FhirTypes.Quantity(systolic, VitalSigns.Systolic.Unit),
            },
            new Observation.ComponentComponent
            {
                Code = FhirTypes.CodeableConcept(VitalSigns.Diastolic.Concept),
                Value = FhirTypes.Quantity(diastolic, VitalSigns.Diastolic.Unit),
            },
        ];
        return observation;
    }

    public Observation Lab(EncounterContext context, LabTest test, decimal value, DateTimeOffset at)
    {
        var range = context.Patient.Female ? test.Female : test.Male;
        var low = FhirTypes.Round(range.Low, test.Decimals);
        var high = FhirTypes.Round(range.High, test.Decimals);
        var observation = NewObservation(context, StatusCodes.LaboratoryCategory, test.Concept, at);
        observation.Value = FhirTypes.Quantity(value, test.Unit);
        observation.Interpretation = FhirTypes.CodeableConcepts(value > high ? StatusCodes.High : value < low ? StatusCodes.Low : StatusCodes.Normal);
        observation.ReferenceRange =
        [
            new Observation.ReferenceRangeComponent
            {
                Low = FhirTypes.Quantity(low, test.Unit),
                High = FhirTypes.Quantity(high, test.Unit),
            },
        ];
        return observation;
    }

    public MedicationRequest MedicationRequest(
        EncounterContext context, MedicationTemplate medication, DateTimeOffset authoredOn, string? reasonConditionId, MedicationRequest.MedicationrequestStatus status)
    {
        var request = new MedicationRequest
        {
            Id = ids.Next(),
            Status = status,
            Intent = Hl7.Fhir.Model.MedicationRequest.MedicationRequestIntent.Order,
            Medication = FhirTypes.ClinicalConcept(medication.Concept),
            Subject = PatientReference(context.Patient),
            Encounter = EncounterReference(context),
            AuthoredOn = FhirTypes.DateTime(authoredOn),
            Requester = PractitionerReference(context.Practitioner),
            DosageInstruction =
            [
                new Dosage
                {
                    Sequence = 1,
                    Text = medication.DosageText,
                    Timing = new Timing
                    {
                        Repeat = new Timing.RepeatComponent { Frequency = medication.TimesPerDay, Period = 1, PeriodUnit = Timing.UnitsOfTime.D },
                    },
                    AsNeeded = new FhirBoolean(medication.AsNeeded),
                },
            ],
            DispenseRequest = new MedicationRequest.DispenseRequestComponent
            {
                ExpectedSupplyDuration = new Duration { Value = medication.DurationDays, Unit = "days", System = CodeSystems.Ucum, Code = "d" },
            },
        };

        if (reasonConditionId is not null)
        {
            request.ReasonReference = [FhirTypes.Reference("Condition", reasonConditionId)];
        }

        return request;
    }

    public Procedure Procedure(
        EncounterContext context, Concept code, DateTimeOffset start, int minutes, string? reasonConditionId, PractitionerRef performer)
    {
        var procedure = new Procedure
        {
            Id = ids.Next(),
            Status = EventStatus.Completed,
            Code = FhirTypes.ClinicalConcept(code),
            Subject = PatientReference(context.Patient),
            Encounter = EncounterReference(context),
            Performed = FhirTypes.Period(start, start.AddMinutes(minutes)),
            Performer = [new Procedure.PerformerComponent { Actor = PractitionerReference(performer) }],
            Location = FhirTypes.Reference("Location", context.LocationId),
        };

        if (reasonConditionId is not null)
        {
            procedure.ReasonReference = [FhirTypes.Reference("Condition", reasonConditionId)];
        }

        return procedure;
    }

    public Immunization Immunization(EncounterContext context, Concept vaccine, DateTimeOffset at, string lotNumber)
    {
        return new Immunization
        {
            Id = ids.Next(),
            Status = Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.Completed,
            VaccineCode = FhirTypes.ClinicalConcept(vaccine),
            Patient = PatientReference(context.Patient),
            Encounter = EncounterReference(context),
            Occurrence = new FhirDateTime(FhirTypes.DateTime(at)),
            PrimarySource = true,
            Location = FhirTypes.Reference("Location", context.LocationId),
            LotNumber = lotNumber,
            Performer = [new Immunization.PerformerComponent { Actor = PractitionerReference(context.Practitioner) }],
        };
    }

    public AllergyIntolerance AllergyIntolerance(EncounterContext context, AllergyFacts facts)
    {
        return new AllergyIntolerance
        {
            Id = ids.Next(),
            ClinicalStatus = FhirTypes.CodeableConcept(facts.Active ? StatusCodes.AllergyActive : StatusCodes.AllergyInactive),
            VerificationStatus = FhirTypes.CodeableConcept(facts.Confirmed ? StatusCodes.AllergyConfirmed : StatusCodes.AllergyUnconfirmed),
            Type = Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceType.Allergy,
            Category = [CategoryOf(facts.Allergy.Category)],
            Criticality = facts.HighCriticality ? Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceCriticality.High : Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceCriticality.Low,
            Code = FhirTypes.ClinicalConcept(facts.Allergy.Concept),
            Patient = PatientReference(context.Patient),
            Encounter = EncounterReference(context),
            Onset = new FhirDateTime(FhirTypes.DateTime(facts.Onset)),
            RecordedDate = FhirTypes.DateTime(context.Plan.Start),
            Recorder = PractitionerReference(context.Practitioner),
            Reaction =
            [
                new AllergyIntolerance.ReactionComponent
                {
                    Manifestation = FhirTypes.CodeableConcepts(facts.Reaction),
                    Severity = facts.Severe ? Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceSeverity.Severe : Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceSeverity.Mild,
                },
            ],
        };
    }

    private Observation NewObservation(EncounterContext context, Concept category, Concept code, DateTimeOffset at) => new()
    {
        Id = ids.Next(),
        Status = ObservationStatus.Final,
        Category = FhirTypes.CodeableConcepts(category),
        Code = FhirTypes.ClinicalConcept(code),
        Subject = PatientReference(context.Patient),
        Encounter = EncounterReference(context),
        Effective = new FhirDateTime(FhirTypes.DateTime(at)),
    };

    private static void AddHospitalization(Encounter encounter, PlannedEncounter plan, string? reasonConditionId, Concept? disposition)
    {
        encounter.Hospitalization = new Encounter.HospitalizationComponent
        {
            AdmitSource = FhirTypes.CodeableConcept(plan.FromEmergency ? EncounterCodes.AdmittedFromEmergency : EncounterCodes.AdmittedOnReferral),
            DischargeDisposition = disposition is null ? null : FhirTypes.CodeableConcept(disposition),
            // Flags the planned 30-day readmissions, so analytics that detect readmissions can be checked against it.
            ReAdmission = plan.IsReadmission ? FhirTypes.CodeableConcept(EncounterCodes.Readmission) : null,
        };

        // Length of stay in days, as analytics usually want it, next to the exact period.
        var days = (decimal)Math.Max(1, (plan.End.Date - plan.Start.Date).Days);
        encounter.Length = new Duration { Value = days, Unit = "days", System = CodeSystems.Ucum, Code = "d" };

        if (reasonConditionId is not null)
        {
            encounter.Diagnosis =
            [
                new Encounter.DiagnosisComponent
                {
                    Condition = FhirTypes.Reference("Condition", reasonConditionId),
                    Use = FhirTypes.CodeableConcept(EncounterCodes.DischargeDiagnosis),
                    Rank = 1,
                },
            ];
        }
    }

    private static Concept ClassOf(EncounterKind kind) => kind switch
    {
        EncounterKind.Emergency => EncounterCodes.Emergency,
        EncounterKind.Inpatient => EncounterCodes.Inpatient,
        _ => EncounterCodes.Ambulatory,
    };

    private static Concept TypeOf(EncounterContext context) => context.Plan.Kind switch
    {
        EncounterKind.Wellness => context.Patient.AgeAt(context.Plan.Start) < 18 ? EncounterCodes.WellChild : EncounterCodes.CheckUp,
        EncounterKind.Sick => EncounterCodes.Symptom,
        EncounterKind.Emergency => EncounterCodes.EmergencyVisit,
        _ => context.Plan.FromEmergency ? EncounterCodes.EmergencyAdmission : EncounterCodes.HospitalAdmission,
    };

    private static AllergyIntolerance.AllergyIntoleranceCategory? CategoryOf(AllergyCategory category) => category switch
    {
        AllergyCategory.Food => Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceCategory.Food,
        AllergyCategory.Medication => Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceCategory.Medication,
        _ => Hl7.Fhir.Model.AllergyIntolerance.AllergyIntoleranceCategory.Environment,
    };

    private static ResourceReference PatientReference(PatientProfile patient) => FhirTypes.Reference("Patient", patient.Id);

    private static ResourceReference EncounterReference(EncounterContext context) => FhirTypes.Reference("Encounter", context.EncounterId);

    private static ResourceReference PractitionerReference(PractitionerRef practitioner) =>
        FhirTypes.Reference("Practitioner", practitioner.Id, practitioner.Display);
}
