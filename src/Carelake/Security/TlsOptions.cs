using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Carelake.Security;

/// <summary>
/// Section "Carelake:Tls": the operator's certificate (PEM pair or PKCS#12) for https:// URLs, or a TLS-terminating
/// proxy in front. Plain http:// is accepted only on loopback addresses or behind such a proxy (or in --dev).
/// </summary>
public sealed class TlsOptions
{
    /// <summary>A PEM certificate (with <see cref="KeyPath"/>) or a PKCS#12 file (.pfx/.p12, with <see cref="CertificatePassword"/>).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PKCS#12 password; from the environment (Carelake__Tls__CertificatePassword), never a file in a repository.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>A TLS-terminating proxy forwards requests: X-Forwarded-For/-Proto/-Host are trusted from <see cref="TrustedProxies"/>.</summary>
    public bool BehindProxy { get; set; }

    /// <summary>Addresses of the trusted proxies (default: loopback only).</summary>
    public string[] TrustedProxies { get; set; } = [];

    public int HstsMaxAgeDays { get; set; } = 365;

    /// <summary>The only protocol versions HTTPS endpoints accept: TLS 1.2 and 1.3 (older handshakes fail).</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    public X509Certificate2? LoadCertificate()
    {
        if (string.IsNullOrEmpty(CertificatePath))
        {
            return null;
        }

        var extension = Path.GetExtension(CertificatePath).ToLowerInvariant();
        return extension is ".pfx" or ".p12"
            ? X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword)
            : X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
    }

    /// <summary>What is wrong with serving <paramref name="urls"/> under this configuration (empty when fine).</summary>
    public IEnumerable<string> Problems(IEnumerable<string> urls, bool dev)
    {
        if (!string.IsNullOrEmpty(CertificatePath) && !File.Exists(CertificatePath))
        {
            yield return $"Carelake:Tls:CertificatePath '{CertificatePath}' does not exist.";
        }

        if (!string.IsNullOrEmpty(KeyPath) && !File.Exists(KeyPath))
        {
            yield return $"Carelake:Tls:KeyPath '{KeyPath}' does not exist.";
        }

        foreach (var proxy in TrustedProxies)
        {
            if (!IPAddress.TryParse(proxy, out _))
            {
                yield return $"Carelake:Tls:TrustedProxies has '{proxy}', which is not an IP address.";
            }
        }

        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                continue;
            }

            if (uri.Scheme == Uri.UriSchemeHttps && string.IsNullOrEmpty(CertificatePath))
            {
                yield return $"'{url}' is https:// but no certificate is configured (--tls-cert, Carelake:Tls:CertificatePath).";
            }

            if (uri.Scheme == Uri.UriSchemeHttp && !dev && !BehindProxy && !IsLoopback(uri.Host))
            {
                yield return $"'{url}' would serve plain HTTP beyond this machine: use https:// with a certificate, set Carelake:Tls:BehindProxy behind a TLS-terminating proxy, or listen on localhost.";
            }
        }
    }

    public static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
