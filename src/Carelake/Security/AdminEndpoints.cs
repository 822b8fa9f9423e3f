using Carelake.Core.Security;

namespace Carelake.Security;

/// <summary>The admin API (administrators only): users and OAuth clients. JSON in, JSON out.</summary>
internal static class AdminEndpoints
{
    public sealed record UserRequest(string UserName, string Password, string Role, string? FhirUser, string? DisplayName);

    public static void Map(WebApplication app)
    {
        var admin = app.MapGroup("/admin");
        admin.MapGet("/users", async (HttpContext http, UserService users) =>
        {
            Require(http);
            var list = await users.ListAsync(http.RequestAborted);
            // The id is the token subject that audit records name as agent: the web app's audit view maps it to a name.
            return Results.Ok(list.Select(u => new { id = u.Id, userName = u.UserName, displayName = u.DisplayName, role = u.Role, fhirUser = u.FhirUser, disabled = u.Disabled, lockedOut = u.LockedUntilUnixSeconds > DateTimeOffset.UtcNow.ToUnixTimeSeconds() }));
        });
        admin.MapPost("/users", async (HttpContext http, UserService users, UserRequest body) =>
        {
            Require(http);
            try
            {
                var user = await users.AddAsync(body.UserName, body.Password, body.Role, body.FhirUser, body.DisplayName, http.RequestAborted);
                return Results.Created($"/admin/users/{Uri.EscapeDataString(user.UserName)}", new { userName = user.UserName, role = user.Role, fhirUser = user.FhirUser });
            }
            catch (ArgumentException e)
            {
                return Results.Json(new { error = "invalid_request", error_description = e.Message }, statusCode: 400);
            }
        });
        admin.MapPost("/users/{userName}/disable", (HttpContext http, string userName, UserService users) => SetDisabledAsync(http, userName, users, true));
        admin.MapPost("/users/{userName}/enable", (HttpContext http, string userName, UserService users) => SetDisabledAsync(http, userName, users, false));
        admin.MapGet("/clients", async (HttpContext http, ClientService clients) =>
        {
            Require(http);
            var list = await clients.ListAsync(http.RequestAborted);
            return Results.Ok(list.Select(c => new { clientId = c.ClientId, type = c.Type, scopes = c.Scopes }));
        });
        admin.MapPost("/clients", async (HttpContext http, ClientService clients, ClientSpec body) =>
        {
            Require(http);
            try
            {
                await clients.AddAsync(body, http.RequestAborted);
                return Results.Created($"/admin/clients/{Uri.EscapeDataString(body.ClientId)}", new { clientId = body.ClientId });
            }
            catch (Exception e) when (e is ArgumentException or HttpRequestException)
            {
                return Results.Json(new { error = "invalid_request", error_description = e.Message }, statusCode: 400);
            }
        });
        admin.MapDelete("/clients/{clientId}", async (HttpContext http, string clientId, ClientService clients) =>
        {
            Require(http);
            return await clients.RemoveAsync(clientId, http.RequestAborted) ? Results.NoContent() : Results.NotFound();
        });
    }

    private static async Task<IResult> SetDisabledAsync(HttpContext http, string userName, UserService users, bool disabled)
    {
        Require(http);
        return await users.SetDisabledAsync(userName, disabled, http.RequestAborted) ? Results.NoContent() : Results.NotFound();
    }

    private static void Require(HttpContext http) => AccessGuard.RequireAdministrator(FhirAccess.Of(http), "The admin API");
}
