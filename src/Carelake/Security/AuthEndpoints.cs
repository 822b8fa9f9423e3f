using System.Security.Claims;
using Carelake.Core.Security;
using Carelake.Hosting;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Carelake.Security;

/// <summary>
/// The interactive and token endpoints of the authorization server (OpenIddict passthrough): SMART discovery,
/// authorize (login, then consent), token (code, refresh, client credentials), userinfo, logout, plus break-glass
/// and EHR launch contexts.
/// </summary>
internal static partial class AuthEndpoints
{
    public static void Map(WebApplication app, CarelakeOptions options)
    {
        app.MapGet("/.well-known/smart-configuration", (HttpContext http) => Results.Json(SmartConfiguration.Document(http, options.BasePath)));
        // SMART App Launch v2 puts discovery under the FHIR base URL ([base]/.well-known/smart-configuration), which is
        // where SMART clients such as fhirclient look for it given only the `iss`; the root copy serves OpenID tooling.
        app.MapGet(options.BasePath + "/.well-known/smart-configuration", (HttpContext http) => Results.Json(SmartConfiguration.Document(http, options.BasePath)));
        app.MapGet("/auth/login", (HttpContext http, string? returnUrl) => LoginPages.Login(http, SafeReturnUrl(returnUrl), null));
        app.MapPost("/auth/login", (Delegate)LoginAsync);
        app.MapMethods("/auth/authorize", ["GET", "POST"], AuthorizeAsync);
        app.MapPost("/auth/token", TokenAsync);
        app.MapMethods("/auth/userinfo", ["GET", "POST"], UserInfoAsync);
        app.MapMethods("/auth/logout", ["GET", "POST"], (Delegate)LogoutAsync);
        app.MapPost("/auth/break-glass", BreakGlassAsync);
        app.MapPost("/auth/launch", LaunchAsync);
    }

    private static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is not null && returnUrl.StartsWith("/auth/authorize", StringComparison.Ordinal) && !returnUrl.Contains("//", StringComparison.Ordinal) ? returnUrl : "/";

    private static async Task<IResult> LoginAsync(HttpContext http, UserService users, ILogger<UserService> logger)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var returnUrl = SafeReturnUrl(form["returnUrl"]);
        if (!LoginPages.CheckCsrf(http, form))
        {
            return LoginPages.Login(http, returnUrl, "The form expired; please try again.", 400);
        }

        var (result, user) = await users.CheckPasswordAsync(form["username"].ToString(), form["password"].ToString(), http.RequestAborted);
        if (result != LoginResult.Succeeded || user is null)
        {
            LogLoginFailed(logger, result.ToString(), http.TraceIdentifier);
            return LoginPages.Login(http, returnUrl, result == LoginResult.LockedOut
                ? "Too many failed sign-ins: this account is locked for a while. Try again later or ask an administrator."
                : "The user name or password is not correct.", 401);
        }

        var identity = new ClaimsIdentity(AuthServices.LoginScheme);
        identity.AddClaim(new Claim(Claims.Subject, user.Id));
        await http.SignInAsync(AuthServices.LoginScheme, new ClaimsPrincipal(identity));
        return Results.Redirect(returnUrl);
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, UserService users, IOpenIddictApplicationManager applications, ClientService clients, CarelakeServices services, IDbContextFactory<AuthDbContext> contexts, CarelakeOptions options, TimeProvider time)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        // SMART: `aud` names the FHIR server the app will send the token to; another server's URL means the app was
        // pointed at a counterfeit resource server, so no code is issued (apps that send no `aud`, like OpenID clients,
        // get tokens for this server only anyway).
        if (request.GetParameter("aud")?.ToString() is { Length: > 0 } aud && !string.Equals(aud.TrimEnd('/'), FhirBase(http, options), StringComparison.Ordinal))
        {
            return Forbid(Errors.InvalidRequest, "The aud parameter does not name this FHIR server.");
        }

        var login = await http.AuthenticateAsync(AuthServices.LoginScheme);
        var user = login.Succeeded && login.Principal?.FindFirst(Claims.Subject)?.Value is { } sub ? await users.FindByIdAsync(sub, http.RequestAborted) : null;
        if (user is null || user.Disabled)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "The user is not signed in.");
            }

            // Back to the same authorization request (as a GET) once signed in.
            var parameters = request.GetParameters().Select(p => new KeyValuePair<string, StringValues>(p.Key, p.Value.ToString())).Where(p => p.Key is not ("decision" or "csrf" or "patient"));
            var returnUrl = "/auth/authorize" + QueryString.Create(parameters).ToUriComponent();
            return Results.Redirect("/auth/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!, http.RequestAborted)
            ?? throw new InvalidOperationException("The client was validated by OpenIddict.");
        var requested = request.GetScopes();
        var patient = await ResolvePatientAsync(http, request, user, services, contexts, time);
        if (patient.Error is not null && !patient.NeedsChoice)
        {
            return Forbid(Errors.InvalidRequest, patient.Error);
        }

        var granted = SmartConfiguration.Grant(requested, await clients.AllowedScopesAsync(application, http.RequestAborted), user.Role, patient.Id is not null);
        var form = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        var decision = form?["decision"].ToString();
        if (form is null || string.IsNullOrEmpty(decision))
        {
            return LoginPages.Consent(http, request, await applications.GetDisplayNameAsync(application, http.RequestAborted) ?? request.ClientId!, user, granted, patient.NeedsChoice, null);
        }

        if (!LoginPages.CheckCsrf(http, form))
        {
            return LoginPages.Consent(http, request, request.ClientId!, user, granted, patient.NeedsChoice, "The form expired; please try again.");
        }

        if (patient.Error is { } pickError)
        {
            return LoginPages.Consent(http, request, request.ClientId!, user, granted, patient.NeedsChoice, pickError);
        }

        if (decision != "allow")
        {
            return Forbid(Errors.AccessDenied, "The user declined the request.");
        }

        var identity = BuildIdentity(user, granted, patient.Id, FhirBase(http, options), patient.Encounter);
        // Access tokens take their 'aud' from the resources: this FHIR server and the resource servers allowed to introspect.
        identity.SetResources([FhirBase(http, options), .. await clients.IntrospectorsAsync(http.RequestAborted)]);
        return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private sealed record PatientChoice(string? Id, bool NeedsChoice, string? Error, string? Encounter = null);

    /// <summary>
    /// The patient in context: a patient user's own; an EHR launch's (<c>launch</c>); or, for a standalone
    /// <c>launch/patient</c> by a clinician, the one picked on the consent page.
    /// </summary>
    private static async Task<PatientChoice> ResolvePatientAsync(HttpContext http, OpenIddictRequest request, UserAccount user, CarelakeServices services, IDbContextFactory<AuthDbContext> contexts, TimeProvider time)
    {
        var scopes = request.GetScopes();
        if (user.Role == Roles.Patient)
        {
            return new PatientChoice(user.FhirUser?["Patient/".Length..], false, null);
        }

        if (request.GetParameter("launch")?.ToString() is { Length: > 0 } launch)
        {
            await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
            var context = await db.Launches.AsNoTracking().SingleOrDefaultAsync(l => l.Id == launch, http.RequestAborted);
            return context is null || context.ExpiresUnixSeconds < time.GetUtcNow().ToUnixTimeSeconds()
                ? new PatientChoice(null, false, "The launch parameter is unknown or expired.")
                : new PatientChoice(context.Patient, false, null, context.Encounter);
        }

        if (!scopes.Contains("launch/patient"))
        {
            return new PatientChoice(null, false, null);
        }

        // A clinician may pick a patient on the consent page; left empty, the grant has no patient context
        // (launch/patient and patient/ scopes are dropped) — what a web app asking for everything needs.
        var picked = request.GetParameter("patient")?.ToString();
        if (string.IsNullOrWhiteSpace(picked))
        {
            return new PatientChoice(null, true, null);
        }

        var existing = Core.Fhir.ResourceIds.IsValid(picked) ? await services.Store.ReadAsync("Patient", picked, http.RequestAborted) : null;
        return existing is { Deleted: false } ? new PatientChoice(picked, true, null) : new PatientChoice(null, true, $"There is no Patient '{picked}'.");
    }

    private static ClaimsIdentity BuildIdentity(UserAccount user, IReadOnlyList<string> granted, string? patient, string fhirBase, string? encounter)
    {
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id)
            .SetClaim(Claims.Name, user.DisplayName ?? user.UserName)
            .SetClaim(Claims.PreferredUsername, user.UserName)
            .SetClaim(Claims.Role, user.Role);
        if (user.FhirUser is not null)
        {
            identity.SetClaim(SmartClaims.FhirUser, user.FhirUser);
        }

        if (patient is not null)
        {
            identity.SetClaim(SmartClaims.Patient, patient);
        }

        if (encounter is not null)
        {
            identity.SetClaim("encounter", encounter);
        }

        identity.SetScopes(granted);
        identity.SetResources(fhirBase);
        identity.SetDestinations(DestinationsOf);
        return identity;
    }

    private static IEnumerable<string> DestinationsOf(Claim claim)
    {
        var scopes = claim.Subject?.GetScopes() ?? [];
        switch (claim.Type)
        {
            case Claims.Subject or Claims.Role:
                return [Destinations.AccessToken, Destinations.IdentityToken];
            case Claims.Name or Claims.PreferredUsername:
                return scopes.Contains(Scopes.Profile) || scopes.Contains("fhirUser") || scopes.Contains(Scopes.OpenId)
                    ? [Destinations.AccessToken, Destinations.IdentityToken]
                    : [Destinations.AccessToken];
            case SmartClaims.FhirUser:
                return scopes.Contains("fhirUser") ? [Destinations.AccessToken, Destinations.IdentityToken] : [Destinations.AccessToken];
            case SmartClaims.Patient or "encounter":
                return [Destinations.AccessToken];
            default:
                return [];
        }
    }

    private static async Task<IResult> TokenAsync(HttpContext http, UserService users, IOpenIddictApplicationManager applications, ClientService clients, CarelakeOptions options)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var principal = result.Principal;
            var user = principal?.GetClaim(Claims.Subject) is { } sub ? await users.FindByIdAsync(sub, http.RequestAborted) : null;
            if (principal is null || user is null || user.Disabled)
            {
                return Forbid(Errors.InvalidGrant, "The user no longer exists or is disabled.");
            }

            // Re-issue from the stored grant, with the role as it is now (a demoted user loses what the role no longer allows).
            var granted = SmartConfiguration.Grant(principal.GetScopes(), string.Join(' ', principal.GetScopes()), user.Role, principal.GetClaim(SmartClaims.Patient) is not null);
            var fhirBase = principal.GetResources().FirstOrDefault(r => r.StartsWith("http", StringComparison.Ordinal)) ?? FhirBase(http, options);
            var identity = BuildIdentity(user, granted, principal.GetClaim(SmartClaims.Patient), fhirBase, principal.GetClaim("encounter"));
            identity.SetResources([fhirBase, .. await clients.IntrospectorsAsync(http.RequestAborted)]);
            return SignIn(identity);
        }

        if (request.IsClientCredentialsGrantType())
        {
            var application = await applications.FindByClientIdAsync(request.ClientId!, http.RequestAborted)
                ?? throw new InvalidOperationException("The client was authenticated by OpenIddict.");
            var allowed = await clients.AllowedScopesAsync(application, http.RequestAborted);
            var requested = request.GetScopes();
            var granted = SmartConfiguration.Grant(requested.IsEmpty ? allowed.Split(' ', StringSplitOptions.RemoveEmptyEntries) : requested, allowed, Roles.Service, false);
            if (granted.Count == 0)
            {
                return Forbid(Errors.InvalidScope, "None of the requested scopes is granted to this client.");
            }

            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId).SetClaim(Claims.Role, Roles.Service);
            identity.SetScopes(granted);
            identity.SetResources([FhirBase(http, options), .. await clients.IntrospectorsAsync(http.RequestAborted)]);
            identity.SetDestinations(DestinationsOf);
            return SignIn(identity);
        }

        return Forbid(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    private static IResult SignIn(ClaimsIdentity identity)
    {
        // SMART requires 'scope' in every token response (OpenIddict leaves it out when it equals the request).
        var properties = new AuthenticationProperties();
        properties.Parameters["scope"] = string.Join(' ', identity.GetScopes());
        // SMART: the token response names the patient in context.
        if (identity.GetClaim(SmartClaims.Patient) is { } patient)
        {
            properties.Parameters["patient"] = patient;
        }

        if (identity.GetClaim("encounter") is { } encounter)
        {
            properties.Parameters["encounter"] = encounter;
        }

        return Results.SignIn(new ClaimsPrincipal(identity), properties, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> UserInfoAsync(HttpContext http, UserService users)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var user = result.Principal?.GetClaim(Claims.Subject) is { } sub ? await users.FindByIdAsync(sub, http.RequestAborted) : null;
        if (user is null)
        {
            return Results.Challenge(
                new AuthenticationProperties(new Dictionary<string, string?> { [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken }),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [Claims.Subject] = user.Id,
            [Claims.Name] = user.DisplayName ?? user.UserName,
            [Claims.PreferredUsername] = user.UserName,
            [Claims.Role] = user.Role,
        };
        if (user.FhirUser is not null)
        {
            claims[SmartClaims.FhirUser] = user.FhirUser;
        }

        return Results.Ok(claims);
    }

    private static async Task<IResult> LogoutAsync(HttpContext http)
    {
        await http.SignOutAsync(AuthServices.LoginScheme);
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    /// <summary>
    /// Break-glass: a clinician or administrator declares an emergency with a reason; for the next
    /// Carelake:Auth:BreakGlassMinutes their tokens also open resources labelled restricted. Always recorded.
    /// </summary>
    private static async Task<IResult> BreakGlassAsync(HttpContext http, IDbContextFactory<AuthDbContext> contexts, AuthOptions auth, TimeProvider time, ILogger<AuthOptions> logger)
    {
        var access = FhirAccess.Of(http);
        if (access.Subject is null || access.Role is not (Roles.Clinician or Roles.Administrator))
        {
            return Results.Json(new { error = "forbidden", error_description = "Break-glass is for clinicians and administrators signed in as themselves." }, statusCode: 403);
        }

        var reason = http.Request.HasFormContentType
            ? (await http.Request.ReadFormAsync(http.RequestAborted))["reason"].ToString()
            : (await http.Request.ReadFromJsonAsync<BreakGlassRequest>(http.RequestAborted))?.Reason;
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < 10)
        {
            return Results.Json(new { error = "invalid_request", error_description = "Break-glass needs a reason of at least 10 characters." }, statusCode: 400);
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var record = new BreakGlassEvent
        {
            Subject = access.Subject,
            ClientId = access.ClientId,
            Reason = reason.Trim(),
            DeclaredUnixSeconds = now,
            ExpiresUnixSeconds = now + (auth.BreakGlassMinutes * 60L),
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
        };
        await using (var db = await contexts.CreateDbContextAsync(http.RequestAborted))
        {
            db.BreakGlassEvents.Add(record);
            await db.SaveChangesAsync(http.RequestAborted);
        }

        LogBreakGlass(logger, record.Id, access.Subject, access.ClientId ?? "-", http.TraceIdentifier);
        return Results.Ok(new { id = record.Id, expires = DateTimeOffset.FromUnixTimeSeconds(record.ExpiresUnixSeconds) });
    }

    private sealed record BreakGlassRequest(string? Reason);

    private sealed record LaunchRequest(string? Patient, string? Encounter);

    /// <summary>EHR launch: a clinician's session asks for a launch value that stands for a patient (and encounter) for one hour.</summary>
    private static async Task<IResult> LaunchAsync(HttpContext http, IDbContextFactory<AuthDbContext> contexts, CarelakeServices services, TimeProvider time)
    {
        var access = FhirAccess.Of(http);
        if (!access.IsAdministrator && access.Role != Roles.Clinician)
        {
            return Results.Json(new { error = "forbidden", error_description = "EHR launches are created by clinicians and administrators." }, statusCode: 403);
        }

        var body = await http.Request.ReadFromJsonAsync<LaunchRequest>(http.RequestAborted);
        if (body?.Patient is not { } patient || !Core.Fhir.ResourceIds.IsValid(patient) || await services.Store.ReadAsync("Patient", patient, http.RequestAborted) is not { Deleted: false })
        {
            return Results.Json(new { error = "invalid_request", error_description = "The launch needs an existing patient id." }, statusCode: 400);
        }

        var launch = new LaunchContext { Patient = patient, Encounter = body.Encounter, ExpiresUnixSeconds = time.GetUtcNow().ToUnixTimeSeconds() + 3600 };
        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        db.Launches.Add(launch);
        await db.SaveChangesAsync(http.RequestAborted);
        return Results.Ok(new { launch = launch.Id });
    }

    public static string FhirBase(HttpContext http, CarelakeOptions options) =>
        $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{options.BasePath}";

    private static IResult Forbid(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Sign-in refused ({Result}) [{CorrelationId}]")]
    private static partial void LogLoginFailed(ILogger logger, string result, string correlationId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "BREAK-GLASS declared: event {EventId} by subject {Subject} via client {ClientId} [{CorrelationId}]")]
    private static partial void LogBreakGlass(ILogger logger, string eventId, string subject, string clientId, string correlationId);
}
