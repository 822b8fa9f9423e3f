using System.Security.Cryptography;
using System.Text.Json;

namespace Carelake.Core.Audit;

/// <summary>
/// The checkpoint signing key: an ECDSA P-256 key in a PEM file outside the database (Carelake:Audit:KeyFile), so
/// whoever can rewrite the database cannot sign a rewritten chain. The newest checkpoint is also written to a head
/// file beside the key, so cutting off the newest records together with their checkpoints is detected too.
/// </summary>
public sealed class AuditSigner : IDisposable
{
    private readonly ECDsa _key;

    private AuditSigner(ECDsa key, string headFile)
    {
        _key = key;
        HeadFile = headFile;
        KeyId = Convert.ToHexString(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16].ToLowerInvariant();
    }

    public string KeyId { get; }

    public string HeadFile { get; }

    public ECDsa Key => _key;

    /// <summary>Loads the key, creating it (owner-only permissions) when <paramref name="create"/> and it does not exist.</summary>
    public static AuditSigner? Open(string keyFile, bool create)
    {
        var key = ECDsa.Create();
        if (File.Exists(keyFile))
        {
            key.ImportFromPem(File.ReadAllText(keyFile));
        }
        else if (create)
        {
            key.GenerateKey(ECCurve.NamedCurves.nistP256);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var writer = new StreamWriter(keyFile, System.Text.Encoding.ASCII, options);
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }
        else
        {
            key.Dispose();
            return null;
        }

        return new AuditSigner(key, keyFile + ".head.json");
    }

    public AuditCheckpoint Sign(long seq, byte[] hash, DateTimeOffset now) =>
        new(seq, hash, now, KeyId, _key.SignData(AuditChain.CheckpointMessage(seq, hash, now), HashAlgorithmName.SHA256));

    public void WriteHead(AuditCheckpoint checkpoint)
    {
        var temp = HeadFile + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new HeadRecord(checkpoint.Seq, Convert.ToHexString(checkpoint.Hash), checkpoint.Created.UtcTicks, checkpoint.KeyId, Convert.ToBase64String(checkpoint.Signature))));
        File.Move(temp, HeadFile, overwrite: true);
    }

    public AuditCheckpoint? ReadHead()
    {
        if (!File.Exists(HeadFile))
        {
            return null;
        }

        var head = JsonSerializer.Deserialize<HeadRecord>(File.ReadAllText(HeadFile));
        return head is null ? null : new AuditCheckpoint(head.Seq, Convert.FromHexString(head.Hash), new DateTimeOffset(head.Created, TimeSpan.Zero), head.KeyId, Convert.FromBase64String(head.Signature));
    }

    public void Dispose() => _key.Dispose();

    private sealed record HeadRecord(long Seq, string Hash, long Created, string KeyId, string Signature);
}
