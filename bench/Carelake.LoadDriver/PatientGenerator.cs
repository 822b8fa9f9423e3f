using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Carelake.LoadDriver;

/// <summary>
/// Writes small, realistic Patient resources (about 500 bytes) with random name, gender, birth date,
/// identifier, phone and address. One instance per worker: it reuses its buffer, so the body returned by
/// <see cref="Next"/> is valid until the next call.
/// </summary>
public sealed class PatientGenerator : IDisposable
{
    /// <summary>Identifier system of generated patients (HL7's example OID "Good Health Clinic").</summary>
    public const string IdentifierSystem = "urn:oid:2.16.840.1.113883.19.5";

    // Family names are also used by the built-in search mix, so those searches find something.
    public static readonly string[] FamilyNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
        "Müller", "Schmidt", "Dubois", "Rossi", "Jansen", "Kowalski", "Novak", "Nielsen", "O'Brien", "Van der Berg",
    ];

    private static readonly string[] FemaleGiven =
    [
        "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
        "Maria", "Anna", "Emma", "Olivia", "Sophie", "Chloé", "Ingrid", "Aisha", "Mei", "Lucía",
    ];

    private static readonly string[] MaleGiven =
    [
        "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
        "José", "Jan", "Lukas", "Pierre", "Luca", "Ahmed", "Hiroshi", "Mateo", "Noah", "Liam",
    ];

    private static readonly string[] Streets = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Park Rd", "Lake View", "Hill St"];

    private static readonly string[] Cities = ["Springfield", "Riverside", "Fairview", "Madison", "Georgetown", "Clinton", "Salem", "Franklin"];

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    public PatientGenerator()
    {
        // Real clients send names as UTF-8, not \u escapes; the output is never embedded in HTML.
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public void Dispose() => _writer.Dispose();

    public ReadOnlyMemory<byte> Next()
    {
        var random = Random.Shared;
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);

        var female = random.Next(2) == 0;
        var given = female ? FemaleGiven : MaleGiven;
        var birth = new DateOnly(1930, 1, 1).AddDays(random.Next(365 * 90));

        var w = _writer;
        w.WriteStartObject();
        w.WriteString("resourceType", "Patient");

        w.WriteStartArray("identifier");
        w.WriteStartObject();
        w.WriteString("use", "usual");
        w.WriteString("system", IdentifierSystem);
        w.WriteString("value", $"MRN-{random.Next(100_000_000):D8}");
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteBoolean("active", true);

        w.WriteStartArray("name");
        w.WriteStartObject();
        w.WriteString("use", "official");
        w.WriteString("family", FamilyNames[random.Next(FamilyNames.Length)]);
        w.WriteStartArray("given");
        w.WriteStringValue(given[random.Next(given.Length)]);
        if (random.Next(3) == 0)
        {
            w.WriteStringValue(given[random.Next(given.Length)]);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("telecom");
        w.WriteStartObject();
        w.WriteString("system", "phone");
        w.WriteString("value", $"555-{random.Next(10_000):D4}");
        w.WriteString("use", random.Next(2) == 0 ? "home" : "mobile");
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteString("gender", female ? "female" : "male");
        w.WriteString("birthDate", birth.ToString("yyyy-MM-dd"));

        w.WriteStartArray("address");
        w.WriteStartObject();
        w.WriteString("use", "home");
        w.WriteStartArray("line");
        w.WriteStringValue($"{random.Next(1, 999)} {Streets[random.Next(Streets.Length)]}");
        w.WriteEndArray();
        w.WriteString("city", Cities[random.Next(Cities.Length)]);
        w.WriteString("postalCode", $"{random.Next(10_000, 99_999)}");
        w.WriteString("country", "US");
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenMemory;
    }
}
