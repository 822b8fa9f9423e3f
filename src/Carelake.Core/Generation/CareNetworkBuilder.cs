using System.Globalization;
using Hl7.Fhir.Model;

namespace Carelake.Core.Generation;

/// <summary>Creates the shared Organization, Location and Practitioner resources (a fixed-size network).</summary>
internal sealed class CareNetworkBuilder(SyntheticRandom random, IdFactory ids, List<Resource> output)
{
    private static readonly (string Name, WardKind Kind, Concept Type, int MinBeds, int MaxBeds)[] WardPlan =
    [
        ("General Medicine Ward", WardKind.GeneralMedicine, StatusCodes.HospitalUnit, 24, 36),
        ("Cardiology Ward", WardKind.Cardiology, StatusCodes.HospitalUnit, 16, 24),
        ("Surgical Ward", WardKind.Surgical, StatusCodes.HospitalUnit, 20, 30),
        ("Intensive Care Unit", WardKind.IntensiveCare, StatusCodes.IntensiveCareUnit, 8, 14),
        ("Pediatric Ward", WardKind.Pediatrics, StatusCodes.PediatricUnit, 10, 18),
    ];

    private int _practitionerNumber;

    public CareNetwork Build()
    {
        var hospitals = new List<Hospital>
        {
            AddHospital("Carelake General Hospital", "CLGH", DemographicTables.Cities[0]),
            AddHospital("Northshore Medical Center", "NSMC", DemographicTables.Cities[4]),
        };

        var clinics = new List<Clinic>();
        AddClinicGroup("Lakeside Community Health", "LCH", [DemographicTables.Cities[1], DemographicTables.Cities[3], DemographicTables.Cities[5]], clinics);
        AddClinicGroup("Riverside Family Practice", "RFP", [DemographicTables.Cities[6], DemographicTables.Cities[2]], clinics);

        return new CareNetwork(
            hospitals,
            clinics,
            PrimaryCare: AddPractitioners(16),
            EmergencyPhysicians: AddPractitioners(8),
            Hospitalists: AddPractitioners(10),
            Surgeons: AddPractitioners(6));
    }

    private Hospital AddHospital(string name, string code, City city)
    {
        var organizationId = AddOrganization(name, code, city);
        var emergencyId = AddLocation(
            $"{name} Emergency Department", "24/7 emergency department", StatusCodes.EmergencyRoom, StatusCodes.Area, organizationId, partOfId: null);

        var wards = new List<Ward>(WardPlan.Length);
        foreach (var (wardName, kind, type, minBeds, maxBeds) in WardPlan)
        {
            var beds = random.Between(minBeds, maxBeds);
            var wardId = AddLocation(
                $"{name} {wardName}", $"{wardName} with {beds} beds", type, StatusCodes.Ward, organizationId, partOfId: null);

            // One Location per bed (physicalType "bd", partOf the ward) so capacity can be counted with a search.
            for (var bed = 1; bed <= beds; bed++)
            {
                var bedName = $"{name} {wardName} Bed {bed.ToString("00", CultureInfo.InvariantCulture)}";
                AddLocation(bedName, description: null, type, StatusCodes.Bed, organizationId, wardId);
            }

            wards.Add(new Ward(wardId, wardName, kind, beds));
        }

        return new Hospital(organizationId, name, emergencyId, wards);
    }

    private void AddClinicGroup(string name, string code, IReadOnlyList<City> cities, List<Clinic> clinics)
    {
        var organizationId = AddOrganization(name, code, cities[0]);
        foreach (var city in cities)
        {
            var clinicName = $"{name} {city.Name}";
            var locationId = AddLocation(
                clinicName, "Primary care clinic", StatusCodes.GeneralMedicineClinic, StatusCodes.Building, organizationId, partOfId: null);
            clinics.Add(new Clinic(organizationId, locationId, clinicName));
        }
    }

    private string AddOrganization(string name, string code, City city)
    {
        var organization = new Organization
        {
            Id = ids.Next(),
            Identifier = [new Identifier(CodeSystems.OrganizationIdentifier, code)],
            Active = true,
            Type = FhirTypes.CodeableConcepts(StatusCodes.HealthcareProvider),
            Name = name,
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Work, PhoneNumber(city))],
            Address = [Address(city)],
        };
        output.Add(organization);
        return organization.Id;
    }

    private string AddLocation(string name, string? description, Concept type, Concept physicalType, string organizationId, string? partOfId)
    {
        var location = new Location
        {
            Id = ids.Next(),
            Status = Location.LocationStatus.Active,
            Name = name,
            Description = description,
            Mode = Location.LocationMode.Instance,
            Type = FhirTypes.CodeableConcepts(type),
            PhysicalType = FhirTypes.CodeableConcept(physicalType),
            ManagingOrganization = FhirTypes.Reference("Organization", organizationId),
            PartOf = partOfId is null ? null : FhirTypes.Reference("Location", partOfId),
        };
        output.Add(location);
        return location.Id;
    }

    private List<PractitionerRef> AddPractitioners(int count)
    {
        var result = new List<PractitionerRef>(count);
        for (var i = 0; i < count; i++)
        {
            result.Add(AddPractitioner());
        }

        return result;
    }

    private PractitionerRef AddPractitioner()
    {
        var female = random.Chance(0.5);
        var given = random.Pick(female ? DemographicTables.FemaleGivenNames : DemographicTables.MaleGivenNames);
        var family = random.Pick(DemographicTables.FamilyNames);
        var city = random.Pick(DemographicTables.Cities);
        var practitioner = new Practitioner
        {
            Id = ids.Next(),
            Identifier = [new Identifier(CodeSystems.Npi, Npi.Create(++_practitionerNumber)) { Type = FhirTypes.CodeableConcept(StatusCodes.ProviderNumber) }],
            Active = true,
            Name = [new HumanName { Use = HumanName.NameUse.Official, Family = family, Given = [given], Prefix = ["Dr."] }],
            Gender = female ? AdministrativeGender.Female : AdministrativeGender.Male,
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Work, PhoneNumber(city))],
            Qualification = [new Practitioner.QualificationComponent { Code = FhirTypes.CodeableConcept(StatusCodes.DoctorOfMedicine) }],
        };
        output.Add(practitioner);
        return new PractitionerRef(practitioner.Id, $"Dr. {given} {family}");
    }

    private Address Address(City city) => new()
    {
        Use = Hl7.Fhir.Model.Address.AddressUse.Work,
        Line = [$"{random.Between(1, 999)} {random.Pick(DemographicTables.StreetNames)}"],
        City = city.Name,
        State = city.State,
        PostalCode = city.ZipPrefix + random.Between(0, 99).ToString("00", CultureInfo.InvariantCulture),
        Country = "US",
    };

    private string PhoneNumber(City city) =>
        string.Create(CultureInfo.InvariantCulture, $"{city.AreaCode}-555-{random.Between(100, 9999):0000}");
}
