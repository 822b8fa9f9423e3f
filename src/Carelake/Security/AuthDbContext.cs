using Microsoft.EntityFrameworkCore;

namespace Carelake.Security;

/// <summary>
/// The authorization server's own SQLite database (<c>auth.db</c> in the data folder, apart from the FHIR data):
/// OpenIddict's applications, authorizations and tokens, plus users, break-glass events and EHR launch contexts.
/// Created on first start (EnsureCreated); it holds no PHI beyond the user-to-Patient link.
/// </summary>
public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options) : DbContext(options)
{
    public DbSet<UserAccount> Users => Set<UserAccount>();

    public DbSet<BreakGlassEvent> BreakGlassEvents => Set<BreakGlassEvent>();

    public DbSet<LaunchContext> Launches => Set<LaunchContext>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<UserAccount>(e =>
        {
            e.ToTable("users");
            e.HasKey(u => u.Id);
            e.HasIndex(u => u.UserName).IsUnique();
        });
        modelBuilder.Entity<BreakGlassEvent>(e =>
        {
            e.ToTable("break_glass_events");
            e.HasKey(b => b.Id);
            e.HasIndex(b => new { b.Subject, b.ExpiresUnixSeconds });
        });
        modelBuilder.Entity<LaunchContext>(e =>
        {
            e.ToTable("launch_contexts");
            e.HasKey(l => l.Id);
        });
    }
}

/// <summary>A Carelake user: login name, password hash (ASP.NET Core Identity PBKDF2), role, FHIR identity, lockout state.</summary>
public sealed class UserAccount
{
    public string Id { get; set; } = Guid.NewGuid().ToString("N");

    public required string UserName { get; set; }

    public required string PasswordHash { get; set; }

    public required string Role { get; set; }

    /// <summary>The FHIR resource the user is (Patient/123, Practitioner/456); for patient users it is the patient in context.</summary>
    public string? FhirUser { get; set; }

    public string? DisplayName { get; set; }

    public int FailedLogins { get; set; }

    /// <summary>Unix seconds until which logins are refused after too many failures; 0 when not locked out.</summary>
    public long LockedUntilUnixSeconds { get; set; }

    public bool Disabled { get; set; }

    public long CreatedUnixSeconds { get; set; }
}

/// <summary>
/// One declaration of emergency access (break-glass): who, through which client, why, when, until when. Kept for the
/// audit trail (issue S2 turns these into AuditEvents); never deleted by Carelake.
/// </summary>
public sealed class BreakGlassEvent
{
    public string Id { get; set; } = Guid.NewGuid().ToString("N");

    public required string Subject { get; set; }

    public string? UserName { get; set; }

    public string? ClientId { get; set; }

    public required string Reason { get; set; }

    public long DeclaredUnixSeconds { get; set; }

    public long ExpiresUnixSeconds { get; set; }

    public string? RemoteAddress { get; set; }
}

/// <summary>An EHR launch: the opaque <c>launch</c> value handed to an app and the context it stands for.</summary>
public sealed class LaunchContext
{
    public string Id { get; set; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public string? Patient { get; set; }

    public string? Encounter { get; set; }

    public long ExpiresUnixSeconds { get; set; }
}
