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

    private static readonly string[] ReservedPrefixes = ["/api", "/auth", "/.well-known", "/connect", "/healthz", "/readyz"];

    public static void Map(WebApplication app, string basePath)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
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
            // Cache-Control stays no-store (Http/SecurityHeaders) like every response; the bundles are small.
            OnPrepareResponse = context => context.Context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy,
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
            await http.Response.SendFileAsync(files.GetFileInfo("index.html"), http.RequestAborted);
        });
    }
}
