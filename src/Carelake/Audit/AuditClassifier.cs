namespace Carelake.Audit;

/// <summary>What a request is, for the audit trail: a FHIR interaction (restful-interaction code) or a security event.</summary>
/// <param name="Subtype">restful-interaction code for FHIR requests; the Carelake security event code otherwise.</param>
/// <param name="Entity">The resource the URL names ("Type/id"), if any.</param>
/// <param name="Patient">The patient the URL names (Patient/{id}/…), if any.</param>
/// <param name="SecurityType">The DICOM event type code and display for security events; null for FHIR interactions.</param>
public sealed record AuditClass(string Subtype, string? Operation, string? Entity, string? Patient, (string Code, string Display)? SecurityType, string? ResourceType)
{
    public bool ReadsAuditTrail => ResourceType == Core.Audit.AuditChain.ResourceType;
}

public static class AuditClassifier
{
    /// <summary>Null for requests that touch no protected data (metadata, health probes, static files, discovery).</summary>
    public static AuditClass? Classify(string method, string path, string basePath)
    {
        if (path.StartsWith(basePath, StringComparison.Ordinal) && (path.Length == basePath.Length || path[basePath.Length] == '/'))
        {
            return Fhir(method, path[basePath.Length..].Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries));
        }

        var post = method == "POST";
        return path switch
        {
            "/auth/login" when post => new("login", null, null, null, ("110114", "User Authentication"), null),
            "/auth/logout" => new("logout", null, null, null, ("110114", "User Authentication"), null),
            "/auth/token" when post => new("token-issue", null, null, null, ("110114", "User Authentication"), null),
            "/auth/revoke" when post => new("token-revoke", null, null, null, ("110114", "User Authentication"), null),
            "/auth/authorize" => new("authorize", null, null, null, ("110114", "User Authentication"), null),
            "/auth/break-glass" when post => new("break-glass", null, null, null, ("110113", "Security Alert"), null),
            "/auth/launch" when post => new("launch", null, null, null, ("110114", "User Authentication"), null),
            _ when path.StartsWith("/admin/", StringComparison.Ordinal) => method == "GET"
                ? new("admin-read", null, path[6..], null, ("110100", "Application Activity"), null)
                : new("admin-change", null, path[6..], null, ("110137", "User Security Attributes Changed"), null),
            _ => null,
        };
    }

    private static AuditClass? Fhir(string method, string[] s)
    {
        static AuditClass Rest(string subtype, string? type = null, string? id = null, string? operation = null, string? patient = null) =>
            new(subtype, operation, type is not null && id is not null ? $"{type}/{id}" : null, patient ?? (type == "Patient" ? id : null), null, type);

        switch (s.Length)
        {
            case 0:
                return method == "POST" ? Rest("transaction") : Rest("search-system");
            case 1 when s[0] == "metadata":
                return null;
            case 1 when s[0].StartsWith('$'):
                return Rest("operation", operation: s[0][1..]);
            case 1 when s[0] == "_history":
                return Rest("history-system");
            case 1 when s[0] == "_search":
                return Rest("search-system");
            case 1:
                return method switch
                {
                    "POST" => Rest("create", s[0]),
                    "PUT" => Rest("update", s[0]),
                    "DELETE" => Rest("delete", s[0]),
                    _ => Rest("search-type", s[0]),
                };
            case 2 when s[1] == "_search":
                return Rest("search-type", s[0]);
            case 2 when s[1] == "_history":
                return Rest("history-type", s[0]);
            case 2 when s[1].StartsWith('$'):
                return Rest("operation", s[0], operation: s[1][1..]);
            case 2 when s[0] == "_job":
                return Rest("operation", operation: "job-status");
            case 2:
                return method switch
                {
                    "PUT" => Rest("update", s[0], s[1]),
                    "PATCH" => Rest("patch", s[0], s[1]),
                    "DELETE" => Rest("delete", s[0], s[1]),
                    _ => Rest("read", s[0], s[1]),
                };
            case 3 when s[2] == "_history":
                return Rest("history-instance", s[0], s[1]);
            case 3 when s[2].StartsWith('$'):
                return Rest("operation", s[0], s[1], s[2][1..]);
            case 3:
                // Compartment search: Patient/{id}/Observation.
                return new("search-type", null, null, s[0] == "Patient" ? s[1] : null, null, s[2]);
            case 4 when s[2] == "_history":
                return Rest("vread", s[0], s[1]);
            default:
                return Rest("operation", operation: "unknown");
        }
    }
}
