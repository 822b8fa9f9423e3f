using Microsoft.AspNetCore;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Carelake.Security;

/// <summary>
/// SMART Backend Services clients sign their <c>private_key_jwt</c> assertions with <c>typ: JWT</c> (the SMART
/// specification's own example); OpenIddict 7 expects the newer <c>client-authentication+jwt</c>. This accepts
/// the generic type (or none) for client assertions only — every other token keeps its strict type check, and the
/// signature, issuer, lifetime and replay checks of the assertion are OpenIddict's as before.
/// </summary>
public sealed class AcceptGenericClientAssertionType : IOpenIddictServerHandler<ValidateTokenContext>
{
    public const string ClientAuthenticationType = "client-authentication+jwt";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .UseSingletonHandler<AcceptGenericClientAssertionType>()
        .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.TokenValidationParameters is not { } parameters || context.Request?.ClientAssertion is not { } assertion || context.Token != assertion)
        {
            return default;
        }

        var clone = parameters.Clone();
        var original = parameters.TypeValidator;
        clone.TypeValidator = (type, token, p) =>
            string.IsNullOrEmpty(type) || string.Equals(type, "JWT", StringComparison.OrdinalIgnoreCase)
                ? ClientAuthenticationType
                : original is null ? Microsoft.IdentityModel.Tokens.Validators.ValidateTokenType(type, token, p) : original(type, token, p);
        context.TokenValidationParameters = clone;

        // SMART Backend Services: the assertion's audience is the token endpoint URL (OpenIddict 7 expects the issuer).
        if (context.Transaction.GetHttpRequest() is { } request)
        {
            context.ValidAudiences.Add($"{request.Scheme}://{request.Host}{request.PathBase}/auth/token");
        }

        return default;
    }
}
