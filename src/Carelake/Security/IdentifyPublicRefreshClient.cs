using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Carelake.Security;

/// <summary>
/// RFC 6749 (section 6) lets a public client refresh without <c>client_id</c> — it has nothing to authenticate with —
/// and SMART clients such as fhirclient do so by default; OpenIddict insists on <c>client_id</c>. For a
/// <c>refresh_token</c> grant without one, this names the client the refresh token was issued to, when that client
/// is public. Refresh tokens are reference tokens, so the token store says whose a token is without decrypting it.
/// Confidential and backend clients still authenticate: their tokens presented anonymously stay refused.
/// </summary>
public sealed class IdentifyPublicRefreshClient(IOpenIddictTokenManager tokens, IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
        .UseScopedHandler<IdentifyPublicRefreshClient>()
        .SetOrder(OpenIddictServerHandlers.Exchange.ValidateClientIdParameter.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        var request = context.Request;
        var cancellationToken = context.CancellationToken;
        if (!request.IsRefreshTokenGrantType() || !string.IsNullOrEmpty(request.ClientId) || !string.IsNullOrEmpty(request.ClientAssertion)
            || string.IsNullOrEmpty(request.RefreshToken)
            || await tokens.FindByReferenceIdAsync(request.RefreshToken, cancellationToken) is not { } token
            || await tokens.GetApplicationIdAsync(token, cancellationToken) is not { } applicationId
            || await applications.FindByIdAsync(applicationId, cancellationToken) is not { } application
            || !await applications.HasClientTypeAsync(application, ClientTypes.Public, cancellationToken))
        {
            return;
        }

        request.ClientId = await applications.GetClientIdAsync(application, cancellationToken);
    }
}
