using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Carelake.Core.Fhir;
using Carelake.Core.Security;
using Carelake.Hosting;
using Carelake.Http;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Security;

/// <summary>
/// Secure by default: every request to the FHIR API (but /metadata), the admin API and the token-protected auth
/// endpoints needs a valid bearer token, else 401 with <c>WWW-Authenticate</c>. The validated token becomes an
/// <see cref="AccessContext"/> the endpoints enforce. In --dev mode every request is unrestricted.
/// </summary>
public sealed partial class FhirAccess(RequestDelegate next, CarelakeOptions options, ILogger<FhirAccess> logger)
{
    private const string ItemKey = "carelake.access";

    public async Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path;
        if (!IsProtected(path) || HttpMethods.IsOptions(http.Request.Method))
        {
            await next(http);
            return;
        }

        if (options.Dev)
        {
            http.Items[ItemKey] = AccessContext.Unrestricted;
            await next(http);
            return;
        }

        var bearer = BearerToken(http.Request);
        if (bearer is null)
        {
            await ChallengeAsync(http, null, "This server requires an OAuth 2.0 bearer token (SMART on FHIR); see /.well-known/smart-configuration.");
            return;
        }

        if (options.AdminToken is { Length: > 0 } adminToken && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(bearer), Encoding.UTF8.GetBytes(adminToken)))
        {
            http.Items[ItemKey] = AccessContext.Unrestricted;
            await next(http);
            return;
        }

        var factory = http.RequestServices.GetRequiredService<AccessFactory>();
        var result = await http.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        AccessContext? access = null;
        string? problem = result.Failure is null ? null : "The access token is not valid (expired, revoked, not yet valid, or not issued by this server).";
        if (result.Succeeded && result.Principal is { } principal)
        {
            access = factory.FromLocal(http, principal, bearer, out problem);
        }
        else if (options.Auth.External is not null)
        {
            var external = await http.AuthenticateAsync(AuthServices.ExternalScheme);
            if (external.Succeeded && external.Principal is { } externalPrincipal)
            {
                access = factory.FromExternal(externalPrincipal, out problem);
            }
        }

        if (access is null)
        {
            LogRejected(logger, http.TraceIdentifier);
            await ChallengeAsync(http, "invalid_token", problem ?? "The access token is not valid.");
            return;
        }

        http.Items[ItemKey] = access;
        await next(http);
    }

    /// <summary>The access context of the request; requests that never passed the middleware get none (and nothing).</summary>
    public static AccessContext Of(HttpContext http) =>
        http.Items.TryGetValue(ItemKey, out var value) && value is AccessContext access
            ? access
            : throw new FhirException(401, OperationOutcome.IssueType.Login, "Authentication required.");

    private bool IsProtected(PathString path)
    {
        if (path.StartsWithSegments(options.BasePath, StringComparison.OrdinalIgnoreCase, out var rest))
        {
            return !(rest.Value is "/metadata" or "/metadata/" or "/.well-known/smart-configuration");
        }

        return path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/auth/break-glass", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/auth/launch", StringComparison.OrdinalIgnoreCase);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.FirstOrDefault();
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }

    private static async Task ChallengeAsync(HttpContext http, string? error, string description)
    {
        http.Response.StatusCode = 401;
        http.Response.Headers.WWWAuthenticate = error is null
            ? "Bearer realm=\"carelake\""
            : $"Bearer realm=\"carelake\", error=\"{error}\", error_description=\"{description.Replace('"', '\'')}\"";
        var outcome = Outcomes.Error(OperationOutcome.IssueType.Login, description);
        if (http.Request.Path.StartsWithSegments("/admin", StringComparison.Ordinal) || http.Request.Path.StartsWithSegments("/auth", StringComparison.Ordinal))
        {
            await http.Response.WriteAsJsonAsync(new { error = error ?? "unauthorized", error_description = description }, http.RequestAborted);
            return;
        }

        await FhirResponses.WritePocoAsync(http, outcome, 401, http.RequestAborted);
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Bearer token rejected [{CorrelationId}]")]
    private static partial void LogRejected(ILogger logger, string correlationId);
}

/// <summary>Turns a validated token into an <see cref="AccessContext"/>: scopes, patient, role, audience, break-glass lookup.</summary>
public sealed class AccessFactory(CarelakeOptions options, IDbContextFactory<AuthDbContext> contexts, TimeProvider time)
{
    public AccessContext? FromLocal(HttpContext http, ClaimsPrincipal principal, string token, out string? problem)
    {
        // Defence in depth beside OpenIddict's own checks: the signed token's lifetime as written in it.
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);
        var now = time.GetUtcNow().UtcDateTime;
        if (jwt.ValidTo == DateTime.MinValue || jwt.ValidTo < now.AddSeconds(-30) || (jwt.ValidFrom != DateTime.MinValue && jwt.ValidFrom > now.AddSeconds(30))
            || (jwt.IssuedAt != DateTime.MinValue && jwt.IssuedAt > now.AddSeconds(30)))
        {
            problem = "The access token is expired or not yet valid.";
            return null;
        }

        // The token must be meant for this FHIR server (SMART 'aud'): its base URL as the request names it.
        var audience = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{options.BasePath}";
        var audiences = principal.GetAudiences();
        if (!audiences.Contains(audience, StringComparer.Ordinal))
        {
            problem = "The access token was issued for another audience than this FHIR server.";
            return null;
        }

        problem = null;
        var subject = principal.GetClaim(OpenIddictConstants.Claims.Subject);
        var role = principal.GetClaim(OpenIddictConstants.Claims.Role);
        var access = new AccessContext(
            principal.GetScopes().Select(SmartScope.TryParse).OfType<SmartScope>().ToList(),
            principal.GetClaim(SmartClaims.Patient),
            role,
            subject,
            principal.GetClaim(OpenIddictConstants.Claims.ClientId) ?? principal.GetClaim("client_id") ?? principal.GetClaim("azp"))
        {
            BreakGlass = subject is null ? null : ct => HasBreakGlassAsync(subject, ct),
        };
        return access;
    }

    public AccessContext? FromExternal(ClaimsPrincipal principal, out string? problem)
    {
        var external = options.Auth.External!;
        var role = principal.FindAll(external.RoleClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(v => external.RoleMap.GetValueOrDefault(v))
            .FirstOrDefault(r => r is not null && Roles.IsKnown(r));
        if (role is null)
        {
            problem = "The external token carries no role this server maps (Carelake:Auth:External:RoleMap).";
            return null;
        }

        var patient = principal.FindFirst(external.PatientClaim)?.Value;
        if (role == Roles.Patient && patient is null)
        {
            problem = "A patient token from the external issuer must carry the patient claim.";
            return null;
        }

        var scopeText = principal.FindFirst(external.ScopeClaim)?.Value;
        var scopes = scopeText is null
            ? Roles.Ceiling(role)
            : scopeText.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(SmartScope.TryParse).OfType<SmartScope>().Where(s => Roles.Allows(role, s)).ToList();
        problem = null;
        var subject = principal.FindFirst("sub")?.Value;
        return new AccessContext(scopes, patient, role, subject is null ? null : "external:" + subject, principal.FindFirst("azp")?.Value ?? principal.FindFirst("client_id")?.Value);
    }

    public async Task<bool> HasBreakGlassAsync(string subject, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BreakGlassEvents.AnyAsync(b => b.Subject == subject && b.ExpiresUnixSeconds > now, cancellationToken);
    }
}

/// <summary>Claim names Carelake adds to tokens beyond the OpenID Connect ones.</summary>
public static class SmartClaims
{
    public const string Patient = "patient";
    public const string FhirUser = "fhirUser";
}
