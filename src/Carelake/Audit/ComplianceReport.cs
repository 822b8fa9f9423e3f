using Carelake.Core.Audit;
using Carelake.Hosting;

namespace Carelake.Audit;

/// <summary>One HIPAA technical safeguard (45 CFR 164.312) checked against the running configuration.</summary>
public sealed record ComplianceCheck(string Id, string Safeguard, bool Passed, string Finding, string Remediation);

/// <summary>
/// Checks the configuration like a config-rules service: each check passes or fails with what to do. It reports
/// what this process can see; what it cannot verify (disk encryption under SQLite) fails rather than passes.
/// </summary>
public sealed class ComplianceReport(CarelakeOptions options, CarelakeServices services)
{
    public async Task<IReadOnlyList<ComplianceCheck>> RunAsync(CancellationToken cancellationToken)
    {
        var auth = options.Auth;
        var checks = new List<ComplianceCheck>
        {
            options.Dev
                ? new("unique-user-ids", "164.312(a)(2)(i) Unique user identification", false, "--dev mode: authentication is off and every request acts as the same anonymous administrator.", "Run without --dev; create named accounts (carelake users add) for every person.")
                : options.AdminToken is { Length: > 0 }
                    ? new("unique-user-ids", "164.312(a)(2)(i) Unique user identification", false, "Carelake:AdminToken is set: a shared secret that acts as an administrator without naming a person.", "Unset Carelake:AdminToken and use named administrator accounts.")
                    : new("unique-user-ids", "164.312(a)(2)(i) Unique user identification", true, "Every request carries a token issued to a named user or registered client; audit records name them.", "None."),
            !options.Dev && auth.BreakGlassMinutes > 0
                ? new("emergency-access", "164.312(a)(2)(ii) Emergency access procedure", true, $"Break-glass is available (POST /auth/break-glass, {auth.BreakGlassMinutes} min grants, each one audited as a Security Alert).", "None.")
                : new("emergency-access", "164.312(a)(2)(ii) Emergency access procedure", false, "No emergency access procedure: authentication is off (--dev).", "Run without --dev; break-glass grants are then available to clinicians and audited."),
            !options.Dev && auth.IdleTimeoutMinutes <= 30 && auth.AccessTokenMinutes <= 60
                ? new("automatic-logoff", "164.312(a)(2)(iii) Automatic logoff", true, $"Sessions end after {auth.IdleTimeoutMinutes} idle minutes; access tokens live {auth.AccessTokenMinutes} minutes.", "None.")
                : new("automatic-logoff", "164.312(a)(2)(iii) Automatic logoff", false, options.Dev ? "--dev mode: no sessions at all." : $"Idle timeout {auth.IdleTimeoutMinutes} min / access tokens {auth.AccessTokenMinutes} min exceed 30 / 60.", "Set Carelake:Auth:IdleTimeoutMinutes ≤ 30 and Carelake:Auth:AccessTokenMinutes ≤ 60; run without --dev."),
            options.Database.IsPostgres
                ? new("encryption-at-rest", "164.312(a)(2)(iv) Encryption and decryption", false, "PostgreSQL: Carelake cannot see whether the database server's storage is encrypted.", "Run PostgreSQL on encrypted storage (encrypted volumes or a managed service with encryption at rest) and record that in your risk analysis.")
                : new("encryption-at-rest", "164.312(a)(2)(iv) Encryption and decryption", false, $"The SQLite file {options.DatabasePath} is not encrypted by Carelake.", "Put the data folder on an encrypted volume (LUKS/dm-crypt, BitLocker, FileVault) or move to PostgreSQL on encrypted storage."),
        };

        var verification = await VerifyAsync(cancellationToken);
        checks.Add(services.AuditStore.Enabled && verification.Intact
            ? new("audit-controls", "164.312(b) Audit controls", true, $"Every access is recorded as an AuditEvent; {verification.Message} {ReadRecordGuarantee}", "None.")
            : new("audit-controls", "164.312(b) Audit controls", false, services.AuditStore.Enabled ? $"The audit trail does not verify: {verification.Message}" : "Auditing is disabled for a benchmark (--dev only).", "Investigate with `carelake audit verify`; restore the database from a backup taken before the first bad position."));

        var keyFile = Path.GetFullPath(options.Audit.KeyFilePath(options.DataDir));
        var keyApart = !keyFile.StartsWith(Path.GetFullPath(options.DataDir) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        checks.Add(verification.Intact && verification.Checkpoints > 0 && keyApart
            ? new("integrity", "164.312(c)(1) Integrity", true, $"Audit records are hash-chained with {verification.Checkpoints} signed checkpoint(s); the signing key is kept apart from the data ({keyFile}). Resource versions are never overwritten (history).", "None.")
            : new("integrity", "164.312(c)(1) Integrity", false,
                !keyApart ? $"The audit signing key {keyFile} lies in the data folder: whoever copies or rewrites the data can also sign." : verification.Checkpoints == 0 ? "No signed audit checkpoint yet." : verification.Message,
                "Set Carelake:Audit:KeyFile to a path outside the data folder and its backups (move the existing key there); checkpoints are signed every Carelake:Audit:CheckpointSeconds."));

        checks.Add(!options.Dev && auth.LockoutThreshold <= 10
            ? new("authentication", "164.312(d) Person or entity authentication", true, $"OAuth 2.0 / SMART tokens; passwords are hashed; accounts lock after {auth.LockoutThreshold} failures; clients authenticate with secrets or private_key_jwt.", "None.")
            : new("authentication", "164.312(d) Person or entity authentication", false, options.Dev ? "--dev mode: no authentication." : $"Lockout after {auth.LockoutThreshold} failures is too lenient.", "Run without --dev; set Carelake:Auth:LockoutThreshold ≤ 10."));

        var urls = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tls = urls.All(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) || options.Tls.BehindProxy;
        checks.Add(tls
            ? new("transmission-security", "164.312(e)(1) Transmission security", true, options.Tls.BehindProxy ? "TLS terminates at a trusted proxy (Carelake:Tls:BehindProxy); HSTS is sent." : "Every listener is HTTPS (TLS 1.2/1.3); HSTS is sent.", "None.")
            : new("transmission-security", "164.312(e)(1) Transmission security", false, $"Plain HTTP listener(s): {string.Join(", ", urls.Where(u => !u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))}.", "Listen on https:// with Carelake:Tls:CertificatePath, or run behind a TLS proxy with Carelake:Tls:BehindProxy."));
        return checks;
    }

    /// <summary>The read-record guarantee in force (docs/audit.md, "The guarantee"), so that the report states it.</summary>
    private string ReadRecordGuarantee => options.Audit.FsyncReadRecords
        ? "The record of every read is on stable storage before its response is sent (Carelake:Audit:FsyncReadRecords=true)."
        : "The record of every read is written before its response is sent (it survives a crash of the server) and flushed to stable storage within a fraction of a second; set Carelake:Audit:FsyncReadRecords=true to make each response wait for the flush.";

    private async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        using var signer = AuditSigner.Open(options.Audit.KeyFilePath(options.DataDir), create: false);
        return await AuditVerifier.VerifyAsync(services.AuditLog, signer?.Key, signer?.ReadHead(), cancellationToken);
    }
}
