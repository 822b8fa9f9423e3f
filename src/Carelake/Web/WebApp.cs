using Carelake.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Carelake.Web;

/// <summary>
/// Serves the built web app (web/dist, copied to wwwroot beside the executable by Carelake.csproj) at "/", with a
/// fallback to index.html for the app's own routes (/patients/123). API paths never fall back: an unknown
/// /fhir path is the FHIR API's 404, and /api, /auth, /.well-known and /connect answer 404 rather than a page.
/// </summary>
internal static class WebApp
{
    /// <summary>Scripts, styles and fetches from this origin only; the FHIR API keeps its stricter default-src 'none'.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Vite names every file under /assets after a hash of its content: a changed file is a new URL.</summary>
    public const string HashedAssetCaching = "public, max-age=31536000, immutable";

    /// <summary>index.html (and every client route) is revalidated each time, so a new release is picked up at once.</summary>
    public const string PageCaching = "no-cache";

    private static readonly string[] ReservedPrefixes = ["/api", "/auth", "/.well-known", "/connect", "/healthz", "/readyz"];

    public static void Map(WebApplication app, string basePath, string root)
    {
        var index = Path.Combine(root, "index.html");
        if (!File.Exists(index))
        {
            // Built with -p:BuildWebApp=false: the API still works, and "/" says where it is.
            app.MapGet("/", () => Results.Text($"Carelake FHIR R4 server. API: {basePath} (try {basePath}/metadata). The web app was not built.\n", "text/plain"));
            return;
        }

        var files = new PhysicalFileProvider(root);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var http = context.Context;
                http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                // The app's files hold no health data; every API response stays no-store (Http/SecurityHeaders).
                SecurityHeaders.AllowCaching(http, http.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal) ? HashedAssetCaching : PageCaching);
            },
        });
        app.Map("/api/{**rest}", () => Results.NotFound());
        app.MapFallback("{*path:nonfile}", async (HttpContext http) =>
        {
            var path = http.Request.Path;
            if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
            {
                http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return;
            }

            if (path.StartsWithSegments(basePath, StringComparison.OrdinalIgnoreCase)
                || ReservedPrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            http.Response.ContentType = "text/html; charset=utf-8";
            http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            SecurityHeaders.AllowCaching(http, PageCaching);
            await http.Response.SendFileAsync(files.GetFileInfo("index.html"), http.RequestAborted);
        });
    }
}
