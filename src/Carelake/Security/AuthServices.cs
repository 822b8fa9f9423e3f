using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Carelake.Hosting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Validation.AspNetCore;

namespace Carelake.Security;

/// <summary>
/// Wires the built-in authorization server (OpenIddict) and the rest of access control into the host:
/// stores in <c>auth.db</c>, persisted keys, the login cookie, token validation, an external issuer, CORS, rate limits.
/// </summary>
public static class AuthServices
{
    public const string LoginScheme = "carelake.login";

    public const string ExternalScheme = "external";

    public const string CorsPolicy = "carelake-cors";

    /// <summary>Stores, users and clients: shared by the server and the CLI (<c>carelake users/clients …</c>).</summary>
    public static IServiceCollection AddCarelakeAuthCore(this IServiceCollection services, CarelakeOptions options)
    {
        void Configure(DbContextOptionsBuilder builder)
        {
            builder.UseSqlite($"Data Source={options.AuthDatabasePath};Pooling=False");
            builder.UseOpenIddict();
        }

        services.AddDbContext<AuthDbContext>(Configure, ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        services.AddDbContextFactory<AuthDbContext>(Configure);
        services.AddOpenIddict().AddCore(core => core.UseEntityFrameworkCore().UseDbContext<AuthDbContext>());
        services.AddSingleton(options.Auth);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<UserService>();
        services.AddScoped<ClientService>();
        services.AddHttpClient();
        return services;
    }

    /// <summary>Creates the database on first use and registers the built-in web app client.</summary>
    public static async Task InitializeAsync(IServiceProvider provider, CancellationToken cancellationToken)
    {
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        await db.Database.EnsureCreatedAsync(cancellationToken);
        await scope.ServiceProvider.GetRequiredService<ClientService>().EnsureWebClientAsync(cancellationToken);
    }

    public static void AddCarelakeAuthServer(this WebApplicationBuilder builder, CarelakeOptions options)
    {
        var services = builder.Services;
        var auth = options.Auth;
        services.AddCarelakeAuthCore(options);
        var signing = SigningKeys.Load(options.DataDir, "signing");
        var encryption = SigningKeys.Load(options.DataDir, "encryption");

        services.AddOpenIddict()
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("auth/authorize")
                    .SetTokenEndpointUris("auth/token")
                    .SetIntrospectionEndpointUris("auth/introspect")
                    .SetRevocationEndpointUris("auth/revoke")
                    .SetUserInfoEndpointUris("auth/userinfo")
                    .SetEndSessionEndpointUris("auth/logout")
                    .SetJsonWebKeySetEndpointUris("auth/jwks")
                    .SetConfigurationEndpointUris(".well-known/openid-configuration");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.AllowClientCredentialsFlow();
                server.AllowRefreshTokenFlow();
                // SMART scopes are open-ended (patient/Observation.rs?category=…): narrowed by our own rules instead.
                server.DisableScopeValidation();
                server.IgnoreScopePermissions();
                server.IgnoreResourcePermissions();
                server.IgnoreAudiencePermissions();
                // Access tokens are signed JWTs (not encrypted) so resource servers and SMART tooling can read them.
                server.DisableAccessTokenEncryption();
                server.RegisterScopes(SmartConfiguration.ScopesSupported.ToArray());
                server.RegisterClaims("sub", "name", "preferred_username", "role", "fhirUser", "patient");
                server.SetAccessTokenLifetime(TimeSpan.FromMinutes(auth.AccessTokenMinutes));
                server.SetIdentityTokenLifetime(TimeSpan.FromMinutes(auth.AccessTokenMinutes));
                server.SetRefreshTokenLifetime(TimeSpan.FromHours(auth.RefreshTokenHours));
                server.SetAuthorizationCodeLifetime(TimeSpan.FromMinutes(2));
                foreach (var key in signing)
                {
                    server.AddSigningKey(key);
                }

                foreach (var key in encryption)
                {
                    server.AddEncryptionKey(key);
                }

                server.RemoveEventHandler(OpenIddict.Server.OpenIddictServerHandlers.Authentication.ValidateClientRedirectUri.Descriptor);
                server.AddEventHandler(ValidateRedirectUri.Descriptor);
                server.RemoveEventHandler(OpenIddict.Server.OpenIddictServerHandlers.Session.ValidateClientPostLogoutRedirectUri.Descriptor);
                server.AddEventHandler(ValidatePostLogoutRedirectUri.Descriptor);
                server.AddEventHandler(AcceptGenericClientAssertionType.Descriptor);
                server.AddEventHandler(RefreshClientJwks.Descriptor);
                // Reference refresh tokens: the store knows whose a token is (IdentifyPublicRefreshClient).
                server.UseReferenceRefreshTokens();
                server.AddEventHandler(IdentifyPublicRefreshClient.Descriptor);
                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    // Plain HTTP is policed by Carelake itself (loopback, or behind a configured TLS proxy).
                    .DisableTransportSecurityRequirement();
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
                // Every request checks the token's entry in the store: a revoked token stops working at once.
                validation.EnableTokenEntryValidation();
                validation.EnableAuthorizationEntryValidation();
            });

        var authentication = services.AddAuthentication(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .AddCookie(LoginScheme, cookie =>
            {
                cookie.Cookie.Name = "carelake.login";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.Cookie.Path = "/auth";
                // Automatic logoff: the interactive session ends after this much inactivity.
                cookie.ExpireTimeSpan = TimeSpan.FromMinutes(auth.IdleTimeoutMinutes);
                cookie.SlidingExpiration = true;
                cookie.LoginPath = "/auth/login";
            });
        if (auth.External is { } external)
        {
            authentication.AddJwtBearer(ExternalScheme, jwt =>
            {
                jwt.Authority = external.Authority;
                jwt.Audience = external.Audience;
                jwt.RequireHttpsMetadata = !external.AllowHttp;
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = external.Authority.TrimEnd('/'),
                    ValidIssuers = [external.Authority.TrimEnd('/'), external.Authority.TrimEnd('/') + "/"],
                    ValidAudience = external.Audience,
                    ValidateLifetime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });
        }

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, cancellationToken) => WriteRateLimitedAsync(context, cancellationToken);
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                IsRateLimited(http.Request.Path)
                    ? RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = auth.RateLimitPerMinute,
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter(string.Empty));
        });
        services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy =>
        {
            if (auth.CorsOrigins.Length > 0)
            {
                policy.WithOrigins(auth.CorsOrigins).AllowAnyHeader().AllowAnyMethod()
                    .WithExposedHeaders("Location", "ETag", "Content-Location", "Last-Modified", "X-Request-Id", "WWW-Authenticate");
            }
        }));
        services.AddSingleton<AccessFactory>();
        services.AddHostedService<AuthStartup>();
    }

    /// <summary>The security middleware, in order: forwarded headers, HSTS, rate limits, CORS, authentication, FHIR access.</summary>
    public static void UseCarelakeSecurity(this WebApplication app, CarelakeOptions options)
    {
        if (options.Tls.BehindProxy)
        {
            app.UseForwardedHeaders(ForwardedHeadersFor(options.Tls));
        }

        if (!options.Dev)
        {
            app.UseHsts();
            app.UseRateLimiter();
            app.UseCors(CorsPolicy);
            app.UseAuthentication();
        }

        app.UseMiddleware<FhirAccess>();
    }

    /// <summary>
    /// X-Forwarded-For/-Proto/-Host are believed only from the configured proxies. ASP.NET Core trusts loopback by
    /// default; once the operator names the proxies, loopback is no longer trusted unless named too, so another
    /// process on the machine cannot claim https or a client address.
    /// </summary>
    public static ForwardedHeadersOptions ForwardedHeadersFor(TlsOptions tls)
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost };
        if (tls.TrustedProxies.Length > 0)
        {
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in tls.TrustedProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        }

        return forwarded;
    }

    /// <summary>
    /// A refusal a person or a client can act on: when to retry (Retry-After), and a body in the endpoint's own form —
    /// an OAuth error object for the token and introspection endpoints, a page for the sign-in and authorize pages.
    /// </summary>
    private static async ValueTask WriteRateLimitedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
        var message = $"Too many requests from this address. Try again in {seconds} seconds.";
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        if (http.Request.Path.StartsWithSegments("/auth/login", StringComparison.Ordinal) || http.Request.Path.StartsWithSegments("/auth/authorize", StringComparison.Ordinal))
        {
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.WriteAsync(
                $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many attempts</title></head><body><main><h1>Too many attempts</h1><p>{System.Net.WebUtility.HtmlEncode(message)}</p></main></body></html>",
                cancellationToken);
            return;
        }

        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = "temporarily_unavailable", ["error_description"] = message }),
            cancellationToken);
    }

    private static bool IsRateLimited(PathString path) =>
        path.StartsWithSegments("/auth/token", StringComparison.Ordinal) || path.StartsWithSegments("/auth/login", StringComparison.Ordinal)
        || path.StartsWithSegments("/auth/authorize", StringComparison.Ordinal) || path.StartsWithSegments("/auth/introspect", StringComparison.Ordinal);
}

/// <summary>Creates the auth database and the web client before the server takes requests.</summary>
internal sealed class AuthStartup(IServiceProvider provider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => AuthServices.InitializeAsync(provider, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
