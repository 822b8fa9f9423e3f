namespace Carelake.Security;

/// <summary>Section "Carelake:Auth": token lifetimes, lockout, sessions, external issuer, CORS, rate limits.</summary>
public sealed class AuthOptions
{
    public int AccessTokenMinutes { get; set; } = 15;

    /// <summary>Refresh tokens roll: each use returns a new one; one unused this long expires.</summary>
    public int RefreshTokenHours { get; set; } = 8;

    /// <summary>The login session (cookie at the authorization server) ends after this much inactivity (fractions allowed).</summary>
    public double IdleTimeoutMinutes { get; set; } = 15;

    public int LockoutThreshold { get; set; } = 5;

    public int LockoutMinutes { get; set; } = 15;

    /// <summary>How long a break-glass grant lasts once declared (with its reason).</summary>
    public int BreakGlassMinutes { get; set; } = 60;

    /// <summary>Requests per minute and client address to the token, login and authorize endpoints.</summary>
    public int RateLimitPerMinute { get; set; } = 30;

    /// <summary>Origins allowed to call the FHIR API and the token endpoint from a browser (SMART web apps); empty: none.</summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>Backend clients registered with a JWKS URL: their keys are fetched again when older than this.</summary>
    public int JwksCacheMinutes { get; set; } = 60;

    /// <summary>
    /// An assertion signed with a key id the cached JWKS lacks (the client rotated its key) fetches the JWKS again
    /// at once, but no more often than this per client, so unknown key ids cannot make the server hammer the URL.
    /// </summary>
    public int JwksRefetchSeconds { get; set; } = 30;

    /// <summary>An external OpenID Connect provider whose access tokens are accepted (JWKS by discovery); null: none.</summary>
    public ExternalIssuerOptions? External { get; set; }
}

/// <summary>A hospital's own identity provider: tokens it issues are mapped onto Carelake roles and SMART scopes.</summary>
public sealed class ExternalIssuerOptions
{
    /// <summary>The issuer URL; its /.well-known/openid-configuration gives the signing keys.</summary>
    public string Authority { get; set; } = string.Empty;

    /// <summary>The audience the tokens must carry (e.g. the FHIR base URL or an API identifier).</summary>
    public string Audience { get; set; } = string.Empty;

    /// <summary>The claim holding the user's role or groups.</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>External role/group value → Carelake role (administrator, clinician, analyst, patient, service, auditor).</summary>
    public Dictionary<string, string> RoleMap { get; set; } = [];

    /// <summary>The claim holding SMART scopes (space-separated); without it the role's ceiling is granted.</summary>
    public string ScopeClaim { get; set; } = "scope";

    /// <summary>The claim holding the patient id for patient users (e.g. "patient" or "fhir_patient").</summary>
    public string PatientClaim { get; set; } = "patient";

    /// <summary>Only for tests and development: allow an http:// authority.</summary>
    public bool AllowHttp { get; set; }
}
