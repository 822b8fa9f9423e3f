using System.CommandLine;
using Carelake.Hosting;
using Carelake.Security;

namespace Carelake.Cli;

/// <summary><c>carelake users …</c>, <c>carelake clients …</c>, <c>carelake keys rotate</c>: local administration of auth.db and the keys.</summary>
internal static class AuthCommands
{
    public static Command Users()
    {
        var dataDir = CommonOptions.DataDir();
        var name = new Argument<string>("username");
        var role = new Option<string>("--role") { Description = "administrator, clinician, analyst, patient, service or auditor.", Required = true };
        var fhirUser = new Option<string?>("--fhir-user") { Description = "The FHIR resource the user is: Patient/<id> (required for patients) or Practitioner/<id>." };
        var displayName = new Option<string?>("--name") { Description = "Display name." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (else one is generated and printed once)." };
        var add = new Command("add", "Add a user.") { name, dataDir, role, fhirUser, displayName, passwordStdin };
        add.SetAction(async (parse, ct) => await WithServicesAsync(parse.GetValue(dataDir), async provider =>
        {
            var password = parse.GetValue(passwordStdin) ? (await Console.In.ReadLineAsync(ct) ?? string.Empty).TrimEnd('\r', '\n') : UserService.GeneratePassword();
            await provider.GetRequiredService<UserService>().AddAsync(parse.GetValue(name)!, password, parse.GetValue(role)!, parse.GetValue(fhirUser), parse.GetValue(displayName), ct);
            Console.WriteLine($"User '{parse.GetValue(name)}' added with role {parse.GetValue(role)}.");
            if (!parse.GetValue(passwordStdin))
            {
                Console.WriteLine($"Password (shown once): {password}");
            }
        }, ct, $"users/{parse.GetValue(name)}"));

        var listDir = CommonOptions.DataDir();
        var list = new Command("list", "List users.") { listDir };
        list.SetAction(async (parse, ct) => await WithServicesAsync(parse.GetValue(listDir), async provider =>
        {
            foreach (var user in await provider.GetRequiredService<UserService>().ListAsync(ct))
            {
                Console.WriteLine($"{user.UserName}\t{user.Role}\t{user.FhirUser ?? "-"}{(user.Disabled ? "\tdisabled" : string.Empty)}");
            }
        }, ct));

        return new Command("users", "Manage user accounts (auth.db in the data folder).") { add, list, Toggle("disable", true), Toggle("enable", false) };
    }

    private static Command Toggle(string verb, bool disabled)
    {
        var dataDir = CommonOptions.DataDir();
        var name = new Argument<string>("username");
        var command = new Command(verb, disabled ? "Disable a user." : "Enable a user and clear a lockout.") { name, dataDir };
        command.SetAction(async (parse, ct) => await WithServicesAsync(parse.GetValue(dataDir), async provider =>
        {
            if (!await provider.GetRequiredService<UserService>().SetDisabledAsync(parse.GetValue(name)!, disabled, ct))
            {
                throw new ArgumentException($"There is no user '{parse.GetValue(name)}'.");
            }

            Console.WriteLine($"User '{parse.GetValue(name)}' {verb}d.");
        }, ct, $"users/{parse.GetValue(name)}"));
        return command;
    }

    public static Command Clients()
    {
        var dataDir = CommonOptions.DataDir();
        var id = new Argument<string>("client-id");
        var kind = new Option<string>("--kind") { Description = "public (browser/native app, PKCE), confidential (server app with secret), backend (SMART Backend Services, private_key_jwt).", DefaultValueFactory = _ => "public" };
        var redirect = new Option<string[]>("--redirect-uri") { Description = "Allowed redirect URI (repeatable).", AllowMultipleArgumentsPerToken = false };
        var scopes = new Option<string>("--scopes") { Description = "The widest scopes the client may get, space-separated (e.g. \"openid fhirUser launch/patient patient/*.rs\" or \"system/*.rs\").", Required = true };
        var jwks = new Option<string?>("--jwks") { Description = "Backend: the public JWKS, as a file path or inline JSON." };
        var jwksUrl = new Option<string?>("--jwks-url") { Description = "Backend: the URL of the public JWKS (fetched at registration)." };
        var name = new Option<string?>("--name") { Description = "Display name shown on the consent page." };
        var introspection = new Option<bool>("--introspection") { Description = "A resource server allowed to introspect access tokens (confidential clients)." };
        var add = new Command("add", "Register an OAuth client.") { id, dataDir, kind, redirect, scopes, jwks, jwksUrl, name, introspection };
        add.SetAction(async (parse, ct) => await WithServicesAsync(parse.GetValue(dataDir), async provider =>
        {
            var kindValue = parse.GetValue(kind) switch
            {
                "public" => ClientKind.Public,
                "confidential" => ClientKind.Confidential,
                "backend" => ClientKind.Backend,
                var other => throw new ArgumentException($"--kind must be public, confidential or backend, not '{other}'."),
            };
            var jwksValue = parse.GetValue(jwks) is { } j ? (File.Exists(j) ? await File.ReadAllTextAsync(j, ct) : j) : null;
            var secret = kindValue == ClientKind.Confidential ? UserService.GeneratePassword() + UserService.GeneratePassword() : null;
            await using var scope = provider.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ClientService>().AddAsync(new ClientSpec
            {
                ClientId = parse.GetValue(id)!,
                DisplayName = parse.GetValue(name),
                Kind = kindValue,
                RedirectUris = parse.GetValue(redirect) ?? [],
                Scopes = parse.GetValue(scopes)!,
                Jwks = jwksValue,
                JwksUrl = parse.GetValue(jwksUrl),
                Secret = secret,
                Introspection = parse.GetValue(introspection),
            }, ct);
            Console.WriteLine($"Client '{parse.GetValue(id)}' registered ({parse.GetValue(kind)}).");
            if (secret is not null)
            {
                Console.WriteLine($"Client secret (shown once): {secret}");
            }
        }, ct, $"clients/{parse.GetValue(id)}"));

        var listDir = CommonOptions.DataDir();
        var list = new Command("list", "List registered clients.") { listDir };
        list.SetAction(async (parse, ct) => await WithServicesAsync(parse.GetValue(listDir), async provider =>
        {
            await using var scope = provider.CreateAsyncScope();
            foreach (var (clientId, type, allowed) in await scope.ServiceProvider.GetRequiredService<ClientService>().ListAsync(ct))
            {
                Console.WriteLine($"{clientId}\t{type}\t{allowed}");
            }
        }, ct));

        var removeDir = CommonOptions.DataDir();
        var removeId = new Argument<string>("client-id");
        var remove = new Command("remove", "Remove a client.") { removeId, removeDir };
        remove.SetAction(async (parse, ct) => await WithServicesAsync(parse.GetValue(removeDir), async provider =>
        {
            await using var scope = provider.CreateAsyncScope();
            Console.WriteLine(await scope.ServiceProvider.GetRequiredService<ClientService>().RemoveAsync(parse.GetValue(removeId)!, ct) ? "Removed." : "No such client.");
        }, ct, $"clients/{parse.GetValue(removeId)}"));
        return new Command("clients", "Manage OAuth clients (SMART apps, backend services).") { add, list, remove };
    }

    public static Command Keys()
    {
        var dataDir = CommonOptions.DataDir();
        var rotate = new Command("rotate", "Add new signing and encryption keys; the newest signs, the previous stays published until tokens it signed expire. Restart the server to use them.") { dataDir };
        rotate.SetAction(parse =>
        {
            var options = CommonOptions.Load(o => o.DataDir = parse.GetValue(dataDir) ?? o.DataDir);
            Console.WriteLine($"New signing key: {SigningKeys.Rotate(options.DataDir, "signing")}");
            Console.WriteLine($"New encryption key: {SigningKeys.Rotate(options.DataDir, "encryption")}");
            return 0;
        });
        return new Command("keys", "Manage the authorization server's keys.") { rotate };
    }

    /// <param name="change">For commands that change users or clients: what changed (users/&lt;name&gt;, clients/&lt;id&gt;), audited as an admin change by the OS user.</param>
    private static async Task<int> WithServicesAsync(string? dataDir, Func<IServiceProvider, Task> action, CancellationToken cancellationToken, string? change = null)
    {
        var options = CommonOptions.Load(o => o.DataDir = dataDir ?? o.DataDir);
        Directory.CreateDirectory(options.DataDir);
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(options);
        services.AddCarelakeAuthCore(options);
        await using var provider = services.BuildServiceProvider();
        await AuthServices.InitializeAsync(provider, cancellationToken);
        try
        {
            await action(provider);
            if (change is not null)
            {
                await AuditChangeAsync(options, change, cancellationToken);
            }

            return 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }

    /// <summary>
    /// A user or client changed from the CLI is a security event like the same change through /admin: recorded with
    /// actor cli:&lt;os user&gt; in the trail of the configured database, after the change (which is in auth.db, a
    /// separate file, so the two cannot share a transaction); if the record cannot be stored the command fails.
    /// </summary>
    private static async Task AuditChangeAsync(CarelakeOptions options, string change, CancellationToken cancellationToken)
    {
        await using var services = await CarelakeServices.OpenAsync(options, TimeProvider.System, cancellationToken);
        using var trail = new Audit.AuditTrail(services, options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Audit.AuditTrail>.Instance);
        await trail.RecordAsync(Core.Audit.AuditRecords.Security(Core.Audit.AuditActor.Cli, "110137", "User Security Attributes Changed", "admin-change", 200, TimeProvider.System.GetUtcNow(), change), cancellationToken);
    }
}
