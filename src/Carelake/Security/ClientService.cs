using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Carelake.Security;

/// <summary>What kind of client: a browser/native app (public, PKCE), a server-side app (secret), a backend service (private_key_jwt).</summary>
/// <remarks>Named in JSON (<c>"kind": "Public"</c>, any case) as the admin API documents it; numbers are accepted too.</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<ClientKind>))]
public enum ClientKind
{
    Public,
    Confidential,
    Backend,
}

/// <summary>A client registration as the admin API and <c>carelake clients add</c> take it.</summary>
public sealed record ClientSpec
{
    public required string ClientId { get; init; }

    public string? DisplayName { get; init; }

    public ClientKind Kind { get; init; } = ClientKind.Public;

    public IReadOnlyList<string> RedirectUris { get; init; } = [];

    public IReadOnlyList<string> PostLogoutRedirectUris { get; init; } = [];

    /// <summary>The widest scopes the client may be granted (space-separated SMART scopes); requests are narrowed to these.</summary>
    public string Scopes { get; init; } = string.Empty;

    /// <summary>Confidential clients: the secret (stored hashed by OpenIddict).</summary>
    public string? Secret { get; init; }

    /// <summary>Backend services: the public keys as an inline JWKS document…</summary>
    public string? Jwks { get; init; }

    /// <summary>…or the URL the JWKS is fetched from at registration.</summary>
    public string? JwksUrl { get; init; }

    /// <summary>A resource server that may introspect access tokens: it is named as an audience of every token issued.</summary>
    public bool Introspection { get; init; }
}

/// <summary>Registers OAuth clients with OpenIddict's application store; the allowed scopes live in the application's settings.</summary>
public sealed class ClientService(IOpenIddictApplicationManager applications, IHttpClientFactory? http = null, TimeProvider? time = null)
{
    public const string ScopesSetting = "carelake:scopes";

    /// <summary>Backend clients registered with <c>--jwks-url</c>: where their keys are fetched (again, see <see cref="RefreshClientJwks"/>).</summary>
    public const string JwksUriSetting = "carelake:jwks_uri";

    /// <summary>When the keys were last fetched from <see cref="JwksUriSetting"/> (Unix seconds).</summary>
    public const string JwksFetchedSetting = "carelake:jwks_fetched";

    public const string IntrospectionSetting = "carelake:introspection";

    /// <summary>The built-in web app's client id (issue W1): public, PKCE, redirect to &lt;origin&gt;/callback of the serving origin.</summary>
    public const string WebClientId = "carelake-web";

    public const string WebClientScopes = "openid fhirUser profile offline_access launch launch/patient user/*.cruds patient/*.rs patient/*.cruds";

    public async Task<object> AddAsync(ClientSpec spec, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(spec.ClientId) || spec.ClientId.Length > 100)
        {
            throw new ArgumentException("The client id must be 1-100 characters.");
        }

        if (await applications.FindByClientIdAsync(spec.ClientId, cancellationToken) is not null)
        {
            throw new ArgumentException($"A client '{spec.ClientId}' is already registered.");
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = spec.ClientId,
            DisplayName = spec.DisplayName ?? spec.ClientId,
            ConsentType = ConsentTypes.Explicit,
        };
        descriptor.Settings[ScopesSetting] = spec.Scopes;
        if (spec.Introspection)
        {
            descriptor.Settings[IntrospectionSetting] = "true";
        }

        descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.Endpoints.Revocation, Permissions.Endpoints.Introspection]);
        switch (spec.Kind)
        {
            case ClientKind.Public or ClientKind.Confidential:
                descriptor.ClientType = spec.Kind == ClientKind.Public ? ClientTypes.Public : ClientTypes.Confidential;
                if (spec.Kind == ClientKind.Confidential)
                {
                    descriptor.ClientSecret = spec.Secret is { Length: >= 16 } ? spec.Secret : throw new ArgumentException("A confidential client needs a secret of at least 16 characters.");
                }

                descriptor.Permissions.UnionWith([
                    Permissions.Endpoints.Authorization, Permissions.Endpoints.EndSession,
                    Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code,
                ]);
                descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
                foreach (var uri in spec.RedirectUris)
                {
                    descriptor.RedirectUris.Add(new Uri(AbsoluteUri(uri, "redirect URI")));
                }

                foreach (var uri in spec.PostLogoutRedirectUris)
                {
                    descriptor.PostLogoutRedirectUris.Add(new Uri(AbsoluteUri(uri, "post-logout redirect URI")));
                }

                if (descriptor.RedirectUris.Count == 0 && spec.ClientId != WebClientId)
                {
                    throw new ArgumentException("An interactive client needs at least one redirect URI.");
                }

                break;
            case ClientKind.Backend:
                descriptor.ClientType = ClientTypes.Confidential;
                descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
                var jwks = spec.Jwks ?? (spec.JwksUrl is null ? null : await FetchJwksAsync(spec.JwksUrl, cancellationToken))
                    ?? throw new ArgumentException("A backend service needs its public keys: --jwks <file or JSON> or --jwks-url <url>.");
                descriptor.JsonWebKeySet = ParseJwks(jwks);
                if (spec.JwksUrl is not null)
                {
                    descriptor.Settings[JwksUriSetting] = spec.JwksUrl;
                    descriptor.Settings[JwksFetchedSetting] = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                if (!spec.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).All(s => s.StartsWith("system/", StringComparison.Ordinal)))
                {
                    throw new ArgumentException("A backend service is granted system/ scopes only (e.g. system/*.rs).");
                }

                break;
        }

        return await applications.CreateAsync(descriptor, cancellationToken);
    }

    public async Task<string> AllowedScopesAsync(object application, CancellationToken cancellationToken) =>
        (await applications.GetSettingsAsync(application, cancellationToken)).GetValueOrDefault(ScopesSetting) ?? string.Empty;

    /// <summary>The client ids of resource servers allowed to introspect (added to every access token's audiences).</summary>
    public async Task<IReadOnlyList<string>> IntrospectorsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var application in applications.ListAsync(null, null, cancellationToken))
        {
            if ((await applications.GetSettingsAsync(application, cancellationToken)).ContainsKey(IntrospectionSetting)
                && await applications.GetClientIdAsync(application, cancellationToken) is { } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    public async Task<bool> RemoveAsync(string clientId, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return false;
        }

        await applications.DeleteAsync(application, cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<(string ClientId, string Type, string Scopes)>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<(string, string, string)>();
        await foreach (var application in applications.ListAsync(null, null, cancellationToken))
        {
            list.Add((await applications.GetClientIdAsync(application, cancellationToken) ?? "?",
                await applications.GetClientTypeAsync(application, cancellationToken) ?? "?",
                await AllowedScopesAsync(application, cancellationToken)));
        }

        return list;
    }

    /// <summary>Registers <see cref="WebClientId"/> when missing (every start with authentication on).</summary>
    public async Task EnsureWebClientAsync(CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(WebClientId, cancellationToken) is null)
        {
            await AddAsync(new ClientSpec { ClientId = WebClientId, DisplayName = "Carelake web app", Kind = ClientKind.Public, Scopes = WebClientScopes }, cancellationToken);
        }
    }

    public static JsonWebKeySet ParseJwks(string json)
    {
        try
        {
            var set = new JsonWebKeySet(json);
            return set.Keys.Count > 0 ? set : throw new ArgumentException("The JWKS holds no keys.");
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            throw new ArgumentException($"The JWKS is not a valid JSON Web Key Set: {e.Message}");
        }
    }

    public async Task<string> FetchJwksAsync(string url, CancellationToken cancellationToken)
    {
        var uri = new Uri(AbsoluteUri(url, "JWKS URL"));
        using var client = http?.CreateClient("jwks") ?? new HttpClient();
        client.Timeout = TimeSpan.FromSeconds(10);
        return await client.GetStringAsync(uri, cancellationToken);
    }

    private static string AbsoluteUri(string uri, string what) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && string.IsNullOrEmpty(parsed.Fragment)
            ? uri
            : throw new ArgumentException($"The {what} '{uri}' must be an absolute http(s) URL without a fragment.");
}
