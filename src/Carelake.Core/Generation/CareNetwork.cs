namespace Carelake.Core.Generation;

internal enum WardKind
{
    GeneralMedicine,
    Cardiology,
    Surgical,
    IntensiveCare,
    Pediatrics,
}

/// <summary>A practitioner id with the display text used on references to it.</summary>
internal sealed record PractitionerRef(string Id, string Display);

internal sealed record Ward(string LocationId, string Name, WardKind Kind, int Beds);

internal sealed record Hospital(string OrganizationId, string Name, string EmergencyLocationId, IReadOnlyList<Ward> Wards)
{
    public Ward WardFor(WardKind kind) => Wards.First(w => w.Kind == kind);
}

internal sealed record Clinic(string OrganizationId, string LocationId, string Name);

/// <summary>
/// The shared facilities and staff every patient record points into. Only ids and names are kept, so patients can be
/// streamed without holding the shared resources themselves.
/// </summary>
internal sealed record CareNetwork(
    IReadOnlyList<Hospital> Hospitals,
    IReadOnlyList<Clinic> Clinics,
    IReadOnlyList<PractitionerRef> PrimaryCare,
    IReadOnlyList<PractitionerRef> EmergencyPhysicians,
    IReadOnlyList<PractitionerRef> Hospitalists,
    IReadOnlyList<PractitionerRef> Surgeons);
