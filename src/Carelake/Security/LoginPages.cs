using System.Net;
using System.Security.Cryptography;
using System.Text;
using OpenIddict.Abstractions;

namespace Carelake.Security;

/// <summary>
/// The server-rendered sign-in and consent pages: plain HTML forms, no script, a double-submit CSRF token
/// (cookie + hidden field), framing denied. Stable element ids for automated browsers: #username, #password,
/// #sign-in, #allow, #deny, #patient.
/// </summary>
internal static class LoginPages
{
    private const string CsrfCookie = "carelake.csrf";

    private const string Style = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}"
        + "h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}"
        + "button{margin-top:1rem;padding:.5rem 1.2rem;margin-right:.5rem}.error{color:#a00;background:#fee;padding:.5rem}"
        + "ul{padding-left:1.2rem}code{font-size:.9em}";

    public static IResult Login(HttpContext http, string returnUrl, string? error, int status = 200)
    {
        var html = new StringBuilder();
        html.Append("<h1>Sign in to Carelake</h1>");
        if (error is not null)
        {
            html.Append("<p class=\"error\" id=\"error\">").Append(Encode(error)).Append("</p>");
        }

        html.Append("<form method=\"post\" action=\"/auth/login\">")
            .Append(Hidden("returnUrl", returnUrl)).Append(Hidden("csrf", Csrf(http)))
            .Append("<label for=\"username\">User name</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus>")
            .Append("<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>")
            .Append("<button id=\"sign-in\" type=\"submit\">Sign in</button></form>");
        return Page(http, "Sign in", html.ToString(), status);
    }

    public static IResult Consent(HttpContext http, OpenIddictRequest request, string clientName, UserAccount user, IReadOnlyList<string> granted, bool pickPatient, string? error)
    {
        var html = new StringBuilder();
        html.Append("<h1>Allow ").Append(Encode(clientName)).Append(" access?</h1>");
        html.Append("<p>Signed in as <strong>").Append(Encode(user.UserName)).Append("</strong> (").Append(Encode(user.Role)).Append(").</p>");
        if (error is not null)
        {
            html.Append("<p class=\"error\">").Append(Encode(error)).Append("</p>");
        }

        html.Append("<p>The application will be able to:</p><ul id=\"scopes\">");
        foreach (var scope in granted)
        {
            html.Append("<li><code>").Append(Encode(scope)).Append("</code></li>");
        }

        html.Append("</ul><form method=\"post\" action=\"/auth/authorize\">");
        foreach (var (name, value) in request.GetParameters())
        {
            if (name is not ("decision" or "csrf" or "patient"))
            {
                html.Append(Hidden(name, value.ToString() ?? string.Empty));
            }
        }

        html.Append(Hidden("csrf", Csrf(http)));
        if (pickPatient)
        {
            html.Append("<label for=\"patient\">Patient id (launch/patient)</label><input id=\"patient\" name=\"patient\" required>");
        }

        html.Append("<button id=\"allow\" name=\"decision\" value=\"allow\" type=\"submit\">Allow</button>")
            .Append("<button id=\"deny\" name=\"decision\" value=\"deny\" type=\"submit\" formnovalidate>Deny</button></form>");
        return Page(http, "Consent", html.ToString(), 200);
    }

    public static bool CheckCsrf(HttpContext http, IFormCollection form)
    {
        var cookie = http.Request.Cookies[CsrfCookie];
        var field = form["csrf"].ToString();
        return !string.IsNullOrEmpty(cookie) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(field));
    }

    private static string Csrf(HttpContext http)
    {
        if (http.Request.Cookies[CsrfCookie] is { Length: 32 } existing)
        {
            return existing;
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        http.Response.Cookies.Append(CsrfCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/auth", Secure = http.Request.IsHttps });
        return token;
    }

    private static IResult Page(HttpContext http, string title, string body, int status)
    {
        // The page may use its own inline style and post its forms; nothing else (see SecurityHeaders).
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
        var html = $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{Encode(title)} · Carelake</title><style>{Style}</style></head><body>{body}</body></html>";
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string Hidden(string name, string value) => $"<input type=\"hidden\" name=\"{Encode(name)}\" value=\"{Encode(value)}\">";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
