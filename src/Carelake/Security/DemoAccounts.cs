using Carelake.Core.Security;
using Carelake.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Carelake.Security;

/// <summary>
/// <c>serve --demo</c> with authentication on: users admin, clinician and patient (linked to the first demo Patient)
/// with random passwords, printed and written to <c>&lt;data-dir&gt;/demo-credentials.txt</c> ("username password role"
/// per line, mode 600) so a newcomer — or an automated browser test — can sign in at once.
/// </summary>
internal static class DemoAccounts
{
    public const string FileName = "demo-credentials.txt";

    public static async Task EnsureAsync(IServiceProvider provider, CarelakeServices services, CarelakeOptions options, CancellationToken cancellationToken)
    {
        var path = Path.Combine(options.DataDir, FileName);
        var users = provider.GetRequiredService<UserService>();
        var contexts = provider.GetRequiredService<IDbContextFactory<AuthDbContext>>();
        var existing = (await users.ListAsync(cancellationToken)).Select(u => u.UserName).ToHashSet(StringComparer.Ordinal);
        if (!File.Exists(path) || !existing.SetEquals(existing.Union(["admin", "clinician", "patient"])))
        {
            var patient = (await services.Search.SearchAsync("http://localhost", "Patient", [new("_count", "1")], false, cancellationToken)).Entries is [var first, ..] ? first.Id : null;
            var lines = new List<string>();
            foreach (var (name, role, fhirUser) in new[] { ("admin", Roles.Administrator, (string?)null), ("clinician", Roles.Clinician, null), ("patient", Roles.Patient, patient is null ? null : $"Patient/{patient}") })
            {
                if (role == Roles.Patient && fhirUser is null)
                {
                    continue;
                }

                var password = UserService.GeneratePassword();
                await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
                {
                    await db.Users.Where(u => u.UserName == name).ExecuteDeleteAsync(cancellationToken);
                }

                await users.AddAsync(name, password, role, fhirUser, $"Demo {name}", cancellationToken);
                lines.Add($"{name} {password} {role}");
            }

            var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            // Written beside and renamed into place: whoever waits for the file (a script, the browser tests) never
            // reads it half written.
            var partial = path + ".partial";
            await using (var writer = new StreamWriter(partial, System.Text.Encoding.UTF8, fileOptions))
            {
                await writer.WriteAsync(string.Join('\n', lines) + "\n");
            }

            File.Move(partial, path, overwrite: true);
        }

        Console.WriteLine("Demo accounts (sign in at /auth/login through an app, e.g. the web app at /):");
        foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken))
        {
            Console.WriteLine("  " + line);
        }

        Console.WriteLine($"  (also in {Path.GetFullPath(path)}); demo client: {ClientService.WebClientId} (public, PKCE S256, redirect <origin>/callback).");
    }
}
