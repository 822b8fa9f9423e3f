using System.Net;
using System.Net.Sockets;

namespace Carelake.LoadDriver;

/// <summary>
/// Workplace rule: the driver only ever talks to this machine. The base URL is checked up front
/// (host must be localhost, 127.x.x.x or [::1]), and every new connection is checked again after name
/// resolution, so a "localhost" mapped elsewhere, a proxy or a redirect cannot send load off the machine.
/// </summary>
public static class LoopbackGuard
{
    /// <summary>Returns the normalised base URL (no trailing slash), or null with an error message.</summary>
    public static Uri? CheckBaseUrl(string text, out string? error)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = $"--base must be an absolute http:// or https:// URL, not '{text}'";
            return null;
        }

        if (!IsLoopbackHost(uri.Host))
        {
            error = $"refusing base URL '{text}': host '{uri.Host}' is not localhost, 127.x.x.x or [::1] "
                + "(this driver only loads servers on this machine)";
            return null;
        }

        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = $"--base must not carry user info, a query or a fragment: '{text}'";
            return null;
        }

        error = null;
        return new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'));
    }

    /// <summary>True for "localhost", an IPv4 address in 127.0.0.0/8, or ::1 (brackets optional).</summary>
    public static bool IsLoopbackHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;

        // Only dotted-quad IPv4 or an IPv6 literal; anything else (e.g. "127.0.0.1.example.com") is a name.
        return IPAddress.TryParse(literal, out var address) && IsLoopbackAddress(address)
            && (address.AddressFamily == AddressFamily.InterNetworkV6 || literal.Count(c => c == '.') == 3);
    }

    /// <summary>127.0.0.0/8 or exactly ::1; IPv4-mapped IPv6 forms are not accepted.</summary>
    public static bool IsLoopbackAddress(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => address.GetAddressBytes()[0] == 127,
        AddressFamily.InterNetworkV6 => address.Equals(IPAddress.IPv6Loopback),
        _ => false,
    };

    /// <summary>
    /// SocketsHttpHandler.ConnectCallback: resolves the host, keeps loopback addresses only and connects.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (!IsLoopbackHost(host))
        {
            throw new HttpRequestException($"refusing to connect to '{host}': not a loopback host");
        }

        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = Array.FindAll(addresses, IsLoopbackAddress);
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(
                $"refusing to connect to '{host}': it resolves to {string.Join(", ", (IEnumerable<IPAddress>)addresses)}, none of them loopback");
        }

        // A dual-mode socket (like SocketsHttpHandler's own) reaches both 127.x and ::1.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
