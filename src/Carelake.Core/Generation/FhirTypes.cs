using System.Globalization;
using Hl7.Fhir.Model;

namespace Carelake.Core.Generation;

/// <summary>Small constructors for the FHIR datatypes the generator emits over and over.</summary>
internal static class FhirTypes
{
    public static Coding Coding(Concept concept) => new(concept.System, concept.Code, concept.Display);

    /// <summary>A CodeableConcept with just the coding: for statuses, categories and other administrative codes.</summary>
    public static CodeableConcept CodeableConcept(Concept concept) => new()
    {
        Coding = [Coding(concept)],
    };

    /// <summary>
    /// A CodeableConcept that also carries the display as text, as EHRs do for the main clinical code of a resource.
    /// Administrative codes go without, which keeps lines about 15% shorter and faster to write.
    /// </summary>
    public static CodeableConcept ClinicalConcept(Concept concept) => new()
    {
        Coding = [Coding(concept)],
        Text = concept.Display,
    };

    public static List<CodeableConcept> CodeableConcepts(Concept concept) => [CodeableConcept(concept)];

    public static ResourceReference Reference(string resourceType, string id) => new(string.Concat(resourceType, "/", id));

    public static ResourceReference Reference(string resourceType, string id, string display) =>
        new(string.Concat(resourceType, "/", id), display);

    public static Quantity Quantity(decimal value, string ucumUnit) => new()
    {
        Value = value,
        Unit = ucumUnit,
        System = CodeSystems.Ucum,
        Code = ucumUnit,
    };

    /// <summary>Rounds through decimal so the JSON number has exactly the clinically meaningful precision.</summary>
    public static decimal Round(double value, int decimals) => Math.Round((decimal)value, decimals, MidpointRounding.AwayFromZero);

    /// <summary>FHIR dateTime with seconds precision and the reference clock's offset (never sub-second noise).</summary>
    public static string DateTime(DateTimeOffset value) =>
        value.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static string Date(DateTimeOffset value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static Period Period(DateTimeOffset start, DateTimeOffset end) => new()
    {
        Start = DateTime(start),
        End = DateTime(end),
    };
}
