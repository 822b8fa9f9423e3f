namespace Carelake.Core.Generation;

/// <summary>Who, where and when of one encounter: what every resource recorded during it points to.</summary>
internal sealed record EncounterContext(
    PatientProfile Patient,
    PlannedEncounter Plan,
    string EncounterId,
    PractitionerRef Practitioner,
    string OrganizationId,
    string LocationId);
