using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Carelake.Security;

/// <summary>
/// Backend Services clients registered with a JWKS URL rotate their keys there. Before OpenIddict resolves the keys
/// that check a client assertion, this fetches the client's JWKS again when the copy in the application store is older
/// than <see cref="AuthOptions.JwksCacheMinutes"/>, or when the assertion names a key id the copy lacks (a rotation)
/// and the last fetch is at least <see cref="AuthOptions.JwksRefetchSeconds"/> old. The fetched set replaces the
/// stored one, so a key removed at the URL stops working too. A failed fetch keeps the keys already stored.
/// </summary>
public sealed partial class RefreshClientJwks(IOpenIddictApplicationManager applications, ClientService clients, AuthOptions auth, TimeProvider time, ILogger<RefreshClientJwks> logger)
    : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .UseScopedHandler<RefreshClientJwks>()
        .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.Request?.ClientAssertion is not { } assertion || context.Token != assertion)
        {
            return;
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(assertion);
        }
        catch (ArgumentException)
        {
            return; // not a JWT: OpenIddict's own validation refuses it
        }

        // SMART backend token requests usually carry no client_id: the assertion's issuer is the client.
        var clientId = context.Request.ClientId ?? jwt.Issuer;
        var cancellationToken = context.CancellationToken;
        if (string.IsNullOrEmpty(clientId) || await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application)
        {
            return;
        }

        var settings = await applications.GetSettingsAsync(application, cancellationToken);
        if (!settings.TryGetValue(ClientService.JwksUriSetting, out var url))
        {
            return;
        }

        var now = time.GetUtcNow();
        var age = settings.TryGetValue(ClientService.JwksFetchedSetting, out var fetched) && long.TryParse(fetched, CultureInfo.InvariantCulture, out var seconds)
            ? now - DateTimeOffset.FromUnixTimeSeconds(seconds)
            : TimeSpan.MaxValue;
        var keys = await applications.GetJsonWebKeySetAsync(application, cancellationToken);
        var unknownKey = !string.IsNullOrEmpty(jwt.Kid) && (keys is null || !keys.Keys.Any(k => string.Equals(k.Kid, jwt.Kid, StringComparison.Ordinal)));
        if (age < TimeSpan.FromMinutes(auth.JwksCacheMinutes) && !(unknownKey && age >= TimeSpan.FromSeconds(auth.JwksRefetchSeconds)))
        {
            return;
        }

        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        // The attempt counts even when it fails: a dead URL is not asked again on every request.
        descriptor.Settings[ClientService.JwksFetchedSetting] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        try
        {
            descriptor.JsonWebKeySet = ClientService.ParseJwks(await clients.FetchJwksAsync(url, cancellationToken));
            LogRefreshed(logger, clientId, descriptor.JsonWebKeySet.Keys.Count);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException)
        {
            LogFetchFailed(logger, clientId, e.GetType().Name);
        }

        await applications.UpdateAsync(application, descriptor, cancellationToken);
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "JWKS of backend client {ClientId} fetched again from its URL: {KeyCount} keys")]
    private static partial void LogRefreshed(ILogger logger, string clientId, int keyCount);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "JWKS of backend client {ClientId} could not be fetched from its URL ({Error}); the stored keys stay in use")]
    private static partial void LogFetchFailed(ILogger logger, string clientId, string error);
}
