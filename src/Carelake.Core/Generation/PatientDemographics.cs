using System.Globalization;
using Hl7.Fhir.Model;

namespace Carelake.Core.Generation;

/// <summary>Creates the Patient resource: names, identifiers, contact details and marital status.</summary>
internal sealed class PatientDemographics(SyntheticRandom random)
{
    public Patient Create(PatientProfile patient)
    {
        var age = patient.AgeAt(patient.RecordEnd);
        var givenNames = patient.Female ? DemographicTables.FemaleGivenNames : DemographicTables.MaleGivenNames;
        var given = random.Pick(givenNames);
        var middle = random.Pick(givenNames);
        var family = random.Pick(DemographicTables.FamilyNames);
        var name = new HumanName { Use = HumanName.NameUse.Official, Family = family, Given = random.Chance(0.5) ? [given, middle] : [given] };
        if (age >= 18)
        {
            name.Prefix = [patient.Female ? "Ms." : "Mr."];
        }

        return new Patient
        {
            Id = patient.Id,
            Identifier = [MedicalRecordNumber(patient)],
            Active = true,
            Name = [name],
            Telecom = Telecom(patient, given, family, age),
            Gender = patient.Female ? AdministrativeGender.Female : AdministrativeGender.Male,
            BirthDate = FhirTypes.Date(patient.BirthDate),
            // Same instant as the end of the terminal admission, so the two always agree.
            Deceased = patient.DeathDate is { } death ? new FhirDateTime(FhirTypes.DateTime(death)) : null,
            Address = [HomeAddress(patient.City)],
            MaritalStatus = FhirTypes.CodeableConcept(MaritalStatus(age)),
            GeneralPractitioner = [FhirTypes.Reference("Practitioner", patient.PrimaryCare.Id, patient.PrimaryCare.Display)],
            ManagingOrganization = FhirTypes.Reference("Organization", patient.Clinic.OrganizationId),
        };
    }

    // The running patient number makes MRNs unique within a data set.
    private static Identifier MedicalRecordNumber(PatientProfile patient) =>
        new(CodeSystems.Mrn, string.Create(CultureInfo.InvariantCulture, $"MRN{patient.Number + 1:D8}"))
        {
            Use = Identifier.IdentifierUse.Usual,
            Type = FhirTypes.CodeableConcept(StatusCodes.MedicalRecordNumber),
        };

    private List<ContactPoint> Telecom(PatientProfile patient, string given, string family, double age)
    {
        var phone = string.Create(CultureInfo.InvariantCulture, $"{patient.City.AreaCode}-555-{random.Between(100, 9999):0000}");
        var telecom = new List<ContactPoint> { new(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, phone) };
        if (age >= 16 && random.Chance(0.6))
        {
            var email = string.Create(CultureInfo.InvariantCulture, $"{given}.{family}{random.Between(1, 99)}@example.com").ToLowerInvariant();
            telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Home, email));
        }

        return telecom;
    }

    private Address HomeAddress(City city) => new()
    {
        Use = Address.AddressUse.Home,
        Line = [string.Create(CultureInfo.InvariantCulture, $"{random.Between(1, 9999)} {random.Pick(DemographicTables.StreetNames)}")],
        City = city.Name,
        State = city.State,
        PostalCode = city.ZipPrefix + random.Between(0, 99).ToString("00", CultureInfo.InvariantCulture),
        Country = "US",
    };

    private Concept MaritalStatus(double age)
    {
        if (age < 18)
        {
            return DemographicTables.NeverMarried;
        }

        // Widowhood becomes common in old age.
        return age >= 75 && random.Chance(0.35) ? DemographicTables.Widowed : random.PickWeighted(DemographicTables.AdultMaritalStatuses);
    }
}
