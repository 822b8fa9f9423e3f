using System.Globalization;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Carelake.Security;

/// <summary>
/// The authorization server's RSA keys, persisted as PKCS#8 PEM files in <c>&lt;data-dir&gt;/keys</c> (mode 600):
/// <c>signing-&lt;utc timestamp&gt;.pem</c> sign tokens, <c>encryption-….pem</c> protect codes and refresh tokens.
/// Rotation (<c>carelake keys rotate</c>) adds a new key; the newest signs, older ones stay published in the JWKS so
/// tokens they signed remain valid until they expire, and all but the two newest are removed.
/// </summary>
public static class SigningKeys
{
    public static string Folder(string dataDir) => Path.Combine(dataDir, "keys");

    /// <summary>Newest first; creates the first key of each kind when there is none.</summary>
    public static IReadOnlyList<RsaSecurityKey> Load(string dataDir, string kind)
    {
        var folder = Folder(dataDir);
        Directory.CreateDirectory(folder);
        var files = Directory.GetFiles(folder, $"{kind}-*.pem").Order(StringComparer.Ordinal).Reverse().ToList();
        if (files.Count == 0)
        {
            files.Add(Create(dataDir, kind));
        }

        return files.Select(file =>
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(file));
            return new RsaSecurityKey(rsa) { KeyId = Path.GetFileNameWithoutExtension(file) };
        }).ToList();
    }

    /// <summary>Adds a new key of the kind and keeps only the two newest; returns the new file.</summary>
    public static string Rotate(string dataDir, string kind)
    {
        var created = Create(dataDir, kind);
        foreach (var old in Directory.GetFiles(Folder(dataDir), $"{kind}-*.pem").Order(StringComparer.Ordinal).Reverse().Skip(2))
        {
            File.Delete(old);
        }

        return created;
    }

    private static string Create(string dataDir, string kind)
    {
        var folder = Folder(dataDir);
        Directory.CreateDirectory(folder);
        using var rsa = RSA.Create(2048);
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        var path = Path.Combine(folder, $"{kind}-{stamp}.pem");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options))
        {
            writer.Write(rsa.ExportPkcs8PrivateKeyPem());
        }

        return path;
    }
}
