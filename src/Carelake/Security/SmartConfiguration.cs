using Carelake.Core.Security;

namespace Carelake.Security;

/// <summary>SMART App Launch v2 discovery (<c>/.well-known/smart-configuration</c>) and the scope-granting rules.</summary>
public static class SmartConfiguration
{
    public static IReadOnlyList<string> ContextScopes { get; } = ["openid", "profile", "fhirUser", "offline_access", "online_access", "launch", "launch/patient"];

    public static IReadOnlyList<string> ScopesSupported { get; } =
    [
        .. ContextScopes,
        "patient/*.rs", "patient/*.cruds", "user/*.rs", "user/*.cruds", "system/*.rs", "system/*.cruds",
        "patient/*.read", "patient/*.write", "user/*.read", "user/*.write", "system/*.read", "system/*.write",
    ];

    public static object Document(HttpContext http, string basePath)
    {
        var origin = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        return new Dictionary<string, object>
        {
            ["issuer"] = origin + "/",
            ["jwks_uri"] = origin + "/auth/jwks",
            ["authorization_endpoint"] = origin + "/auth/authorize",
            ["token_endpoint"] = origin + "/auth/token",
            ["introspection_endpoint"] = origin + "/auth/introspect",
            ["revocation_endpoint"] = origin + "/auth/revoke",
            ["userinfo_endpoint"] = origin + "/auth/userinfo",
            ["end_session_endpoint"] = origin + "/auth/logout",
            ["token_endpoint_auth_methods_supported"] = new[] { "private_key_jwt", "client_secret_basic", "client_secret_post", "none" },
            ["token_endpoint_auth_signing_alg_values_supported"] = new[] { "RS384", "ES384" },
            ["grant_types_supported"] = new[] { "authorization_code", "client_credentials", "refresh_token" },
            ["response_types_supported"] = new[] { "code" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["scopes_supported"] = ScopesSupported,
            ["capabilities"] = new[]
            {
                "launch-ehr", "launch-standalone", "authorize-post", "client-public", "client-confidential-symmetric",
                "client-confidential-asymmetric", "context-ehr-patient", "context-standalone-patient", "sso-openid-connect",
                "permission-offline", "permission-online", "permission-patient", "permission-user", "permission-v1", "permission-v2",
            },
            ["fhir_base"] = origin + basePath,
        };
    }

    /// <summary>A resource scope in SMART v2 syntax (<c>patient/Observation.rs?category=laboratory</c>).</summary>
    public static string Format(SmartScope scope)
    {
        var context = scope.Context switch { SmartContext.Patient => "patient", SmartContext.User => "user", _ => "system" };
        var letters = string.Concat("cruds".Where((_, i) => scope.Interactions.HasFlag((SmartInteractions)(1 << i))));
        var query = scope.Query.Count == 0 ? string.Empty : "?" + string.Join('&', scope.Query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        return $"{context}/{scope.ResourceType}.{letters}{query}";
    }

    /// <summary>
    /// Narrows the requested scopes to what the client is registered for, what the user's role allows, and what the
    /// context supports (patient scopes need a patient). Unknown or malformed scopes are dropped, never widened.
    /// </summary>
    public static IReadOnlyList<string> Grant(IEnumerable<string> requested, string clientAllowed, string? role, bool hasPatient)
    {
        var allowedTokens = clientAllowed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var allowedScopes = allowedTokens.Select(SmartScope.TryParse).OfType<SmartScope>().ToList();
        var granted = new List<string>();
        foreach (var scope in requested.Distinct(StringComparer.Ordinal))
        {
            if (ContextScopes.Contains(scope, StringComparer.Ordinal))
            {
                if (allowedTokens.Contains(scope, StringComparer.Ordinal) && (scope != "launch/patient" || hasPatient))
                {
                    granted.Add(scope);
                }

                continue;
            }

            var parsed = SmartScope.TryParse(scope);
            if (parsed is null || (parsed.Context == SmartContext.Patient && !hasPatient))
            {
                continue;
            }

            // Narrow the interactions to what both the role and the client registration allow (cruds → rs for a patient).
            var byRole = role is null ? SmartInteractions.All : Roles.Ceiling(role)
                .Where(c => c.Context == parsed.Context && c.Covers(parsed.ResourceType))
                .Aggregate(SmartInteractions.None, (all, c) => all | c.Interactions);
            var byClient = allowedScopes
                .Where(a => a.Context == parsed.Context && a.Covers(parsed.ResourceType) && (!a.IsRestricted || a.Query.SequenceEqual(parsed.Query)))
                .Aggregate(SmartInteractions.None, (all, a) => all | a.Interactions);
            var interactions = parsed.Interactions & byRole & byClient;
            if (interactions == SmartInteractions.None)
            {
                continue;
            }

            granted.Add(interactions == parsed.Interactions ? scope : Format(parsed with { Interactions = interactions }));
        }

        return granted;
    }
}
