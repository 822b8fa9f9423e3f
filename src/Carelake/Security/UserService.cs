using Carelake.Core.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;

namespace Carelake.Security;

public enum LoginResult
{
    Succeeded,
    Invalid,
    LockedOut,
}

/// <summary>
/// User accounts: creation with a role, password check with lockout after repeated failures. Passwords are hashed
/// with ASP.NET Core Identity's PasswordHasher (PBKDF2-HMAC-SHA512, 100,000 iterations, per-user salt).
/// </summary>
public sealed class UserService(IDbContextFactory<AuthDbContext> contexts, AuthOptions options, TimeProvider time)
{
    private static readonly PasswordHasher<UserAccount> Hasher = new();

    /// <summary>A hash of a random password, compared against when the user does not exist so timing does not tell.</summary>
    private static readonly string DummyHash = Hasher.HashPassword(new UserAccount { UserName = "-", PasswordHash = "-", Role = "-" }, Guid.NewGuid().ToString("N"));

    public async Task<UserAccount> AddAsync(string userName, string password, string role, string? fhirUser, string? displayName, CancellationToken cancellationToken)
    {
        var problem = Validate(userName, password, role, fhirUser);
        if (problem is not null)
        {
            throw new ArgumentException(problem);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Users.AnyAsync(u => u.UserName == userName, cancellationToken))
        {
            throw new ArgumentException($"A user named '{userName}' already exists.");
        }

        var user = new UserAccount { UserName = userName, PasswordHash = string.Empty, Role = role, FhirUser = fhirUser, DisplayName = displayName, CreatedUnixSeconds = time.GetUtcNow().ToUnixTimeSeconds() };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync(cancellationToken);
        return user;
    }

    public static string? Validate(string userName, string password, string role, string? fhirUser)
    {
        if (string.IsNullOrWhiteSpace(userName) || userName.Length > 100 || userName.Any(char.IsWhiteSpace))
        {
            return "The user name must be 1-100 characters without spaces.";
        }

        if (password.Length < 12)
        {
            return "The password must be at least 12 characters.";
        }

        if (!Roles.IsKnown(role))
        {
            return $"The role must be one of {string.Join(", ", Roles.All)}.";
        }

        if (role == Roles.Patient && (fhirUser is null || !fhirUser.StartsWith("Patient/", StringComparison.Ordinal)))
        {
            return "A patient user must be linked to a Patient (--fhir-user Patient/<id>).";
        }

        if (fhirUser is not null && (fhirUser.Split('/') is not [var type, var id] || !Core.Fhir.ResourceTypes.IsKnown(type) || !Core.Fhir.ResourceIds.IsValid(id)))
        {
            return "fhirUser must be a relative reference such as Patient/123 or Practitioner/456.";
        }

        return null;
    }

    public async Task<(LoginResult Result, UserAccount? User)> CheckPasswordAsync(string userName, string password, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.SingleOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (user is null || user.Disabled)
        {
            Hasher.VerifyHashedPassword(new UserAccount { UserName = "-", PasswordHash = "-", Role = "-" }, DummyHash, password);
            return (LoginResult.Invalid, null);
        }

        if (user.LockedUntilUnixSeconds > now)
        {
            return (LoginResult.LockedOut, null);
        }

        var verified = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verified == PasswordVerificationResult.Failed)
        {
            user.FailedLogins++;
            if (user.FailedLogins >= options.LockoutThreshold)
            {
                user.LockedUntilUnixSeconds = now + (options.LockoutMinutes * 60L);
                user.FailedLogins = 0;
            }

            await db.SaveChangesAsync(cancellationToken);
            return (user.LockedUntilUnixSeconds > now ? LoginResult.LockedOut : LoginResult.Invalid, null);
        }

        if (verified == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password);
        }

        user.FailedLogins = 0;
        user.LockedUntilUnixSeconds = 0;
        await db.SaveChangesAsync(cancellationToken);
        return (LoginResult.Succeeded, user);
    }

    public async Task<UserAccount?> FindByIdAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
    }

    public async Task<IReadOnlyList<UserAccount>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(cancellationToken);
    }

    public async Task<bool> SetDisabledAsync(string userName, bool disabled, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.SingleOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        if (user is null)
        {
            return false;
        }

        user.Disabled = disabled;
        user.LockedUntilUnixSeconds = 0;
        user.FailedLogins = 0;
        await db.SaveChangesAsync(cancellationToken);
        if (disabled)
        {
            // Access tokens are checked against their stored entry on every request (token entry validation), so
            // revoking the entries ends the user's sessions now rather than when their access tokens expire.
            await db.Set<OpenIddictEntityFrameworkCoreToken>()
                .Where(t => t.Subject == user.Id && t.Status != OpenIddictConstants.Statuses.Revoked)
                .ExecuteUpdateAsync(t => t.SetProperty(token => token.Status, OpenIddictConstants.Statuses.Revoked), cancellationToken);
            await db.Set<OpenIddictEntityFrameworkCoreAuthorization>()
                .Where(a => a.Subject == user.Id && a.Status != OpenIddictConstants.Statuses.Revoked)
                .ExecuteUpdateAsync(a => a.SetProperty(authorization => authorization.Status, OpenIddictConstants.Statuses.Revoked), cancellationToken);
        }

        return true;
    }

    public static string GeneratePassword() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(15)).Replace('+', 'x').Replace('/', 'y');
}
