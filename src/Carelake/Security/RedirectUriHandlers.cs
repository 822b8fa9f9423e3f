using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Carelake.Security;

/// <summary>
/// Replaces OpenIddict's redirect-URI check so the built-in web app (<c>carelake-web</c>) works on whatever origin the
/// server is served on: its only redirect URI is <c>&lt;origin&gt;/callback</c> of the origin the authorization
/// request itself came to (so a code can only ever go back to this server). Every other client keeps exact matching
/// against its registered URIs.
/// </summary>
public sealed class ValidateRedirectUri(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
        .UseScopedHandler<ValidateRedirectUri>()
        .SetOrder(OpenIddictServerHandlers.Authentication.ValidateClientRedirectUri.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        var redirectUri = context.RedirectUri ?? context.Request.RedirectUri;
        if (string.IsNullOrEmpty(redirectUri) || context.ClientId is null)
        {
            context.Reject(Errors.InvalidRequest, "The redirect_uri parameter is required.");
            return;
        }

        if (context.ClientId == ClientService.WebClientId)
        {
            if (redirectUri != Origin(context.Transaction) + "/callback")
            {
                context.Reject(Errors.InvalidRequest, "carelake-web redirects only to /callback on the origin this server is served on.");
                return;
            }

            context.SetRedirectUri(redirectUri);
            return;
        }

        var application = await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken);
        if (application is null || !await applications.ValidateRedirectUriAsync(application, redirectUri, context.CancellationToken))
        {
            context.Reject(Errors.InvalidRequest, "The redirect_uri is not registered for this client.");
            return;
        }

        context.SetRedirectUri(redirectUri);
    }

    public static string Origin(OpenIddictServerTransaction transaction)
    {
        var request = transaction.GetHttpRequest() ?? throw new InvalidOperationException("No HTTP request.");
        return $"{request.Scheme}://{request.Host}{request.PathBase}";
    }
}

/// <summary>The same for the logout redirect: <c>&lt;origin&gt;/</c> is accepted for any client; otherwise a registered URI.</summary>
public sealed class ValidatePostLogoutRedirectUri(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ValidateEndSessionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateEndSessionRequestContext>()
        .UseScopedHandler<ValidatePostLogoutRedirectUri>()
        .SetOrder(OpenIddictServerHandlers.Session.ValidateClientPostLogoutRedirectUri.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateEndSessionRequestContext context)
    {
        var uri = context.PostLogoutRedirectUri ?? context.Request.PostLogoutRedirectUri;
        if (string.IsNullOrEmpty(uri))
        {
            return;
        }

        if (uri == ValidateRedirectUri.Origin(context.Transaction) + "/")
        {
            context.SetPostLogoutRedirectUri(uri);
            return;
        }

        if (context.Request.ClientId is { } clientId)
        {
            var application = await applications.FindByClientIdAsync(clientId, context.CancellationToken);
            if (application is not null && await applications.ValidatePostLogoutRedirectUriAsync(application, uri, context.CancellationToken))
            {
                context.SetPostLogoutRedirectUri(uri);
                return;
            }
        }
        else
        {
            await foreach (var _ in applications.FindByPostLogoutRedirectUriAsync(uri, context.CancellationToken))
            {
                context.SetPostLogoutRedirectUri(uri);
                return;
            }
        }

        context.Reject(Errors.InvalidRequest, "The post_logout_redirect_uri is not registered.");
    }
}
