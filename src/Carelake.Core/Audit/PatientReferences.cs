using System.Text.Json;

namespace Carelake.Core.Audit;

/// <summary>
/// The patients a stored resource is about, for the audit trail: a Patient itself, and every "Patient/…" reference in
/// it (subject, patient, beneficiary …). A forward-only scan of the stored bytes: no parse on the read path.
/// </summary>
public static class PatientReferences
{
    public static void Collect(string type, string id, byte[]? json, ISet<string> patients)
    {
        if (type == "Patient")
        {
            patients.Add(id);
        }

        if (json is null)
        {
            return;
        }

        var reader = new Utf8JsonReader(json);
        var inReference = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                inReference = reader.ValueTextEquals("reference"u8);
            }
            else if (inReference && reader.TokenType == JsonTokenType.String)
            {
                inReference = false;
                if (reader.ValueSpan.StartsWith("Patient/"u8) || reader.ValueIsEscaped)
                {
                    var value = reader.GetString();
                    if (value is not null && value.StartsWith("Patient/", StringComparison.Ordinal))
                    {
                        var end = value.IndexOf('/', 8);
                        var patient = end < 0 ? value[8..] : value[8..end];
                        if (patient.Length > 0)
                        {
                            patients.Add(patient);
                        }
                    }
                }
            }
            else
            {
                inReference = false;
            }
        }
    }
}
