using Carelake.Core.Fhir;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.AspNetCore.Http.Features;

namespace Carelake.Http;

/// <summary>
/// The one place where failures become HTTP responses: <see cref="FhirException"/> keeps its status and outcome;
/// an oversized body is 413; anything else is a 500 whose outcome carries only the correlation id — never internals.
/// </summary>
public sealed partial class ErrorHandling(RequestDelegate next, ILogger<ErrorHandling> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (FhirException e)
        {
            await WriteAsync(context, e.Status, e.Outcome);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(context, 413, Outcomes.Error(OperationOutcome.IssueType.TooCostly,
                "The request body is larger than this server accepts (Carelake:MaxRequestBodyBytes)."));
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(context, e.StatusCode, Outcomes.Error(OperationOutcome.IssueType.Structure, "The HTTP request could not be read."));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            LogUnhandled(logger, e, context.TraceIdentifier);
            await WriteAsync(context, 500, Outcomes.Error(OperationOutcome.IssueType.Exception,
                $"Internal server error. Quote correlation id {context.TraceIdentifier} when reporting it."));
        }
    }

    public static async Task WriteAsync(HttpContext context, int status, OperationOutcome outcome)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        SecurityHeaders.DenyCaching(context);
        SecurityHeaders.Apply(context.Response);
        context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
        await FhirResponses.WritePocoAsync(context, outcome, status, context.RequestAborted);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled error; correlation id {CorrelationId}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string correlationId);
}

public static class SecurityHeaders
{
    private const string CacheControlKey = "carelake.cache-control";

    /// <summary>
    /// Lets one response be cached (the web app's static files, which hold no health data): every other response is
    /// <c>no-store</c>, whatever an endpoint or library set, so caching is opt-in per response and never by accident.
    /// </summary>
    public static void AllowCaching(HttpContext http, string cacheControl) => http.Items[CacheControlKey] = cacheControl;

    /// <summary>Takes <see cref="AllowCaching"/> back (an error answered instead of the file).</summary>
    public static void DenyCaching(HttpContext http) => http.Items.Remove(CacheControlKey);

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers["X-Content-Type-Options"] = "nosniff";
        headers["X-Frame-Options"] = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        // A page that needs more (the sign-in page's inline style) sets its own policy first.
        headers.TryAdd("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        // Health data must not linger in shared caches or browser history.
        headers.CacheControl = response.HttpContext.Items.TryGetValue(CacheControlKey, out var allowed) && allowed is string value ? value : "no-store";
    }
}

/// <summary>Correlation id, security headers and a PHI-free access log line (route template, never the raw path or query).</summary>
public sealed partial class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Headers.TryGetValue("X-Request-Id", out var incoming) && incoming.Count == 1
            && incoming[0] is { Length: > 0 and <= 64 } id && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            context.TraceIdentifier = id;
        }

        context.Response.OnStarting(() =>
        {
            SecurityHeaders.Apply(context.Response);
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            return System.Threading.Tasks.Task.CompletedTask;
        });
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await next(context);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var endpoint = context.GetEndpoint() as RouteEndpoint;
            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogRequest(logger, context.Request.Method, endpoint?.RoutePattern.RawText ?? "(unmatched)", context.Response.StatusCode, elapsedMs, context.TraceIdentifier);
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "{Method} {Route} -> {Status} in {ElapsedMs:F1} ms [{CorrelationId}]")]
    private static partial void LogRequest(ILogger logger, string method, string route, int status, double elapsedMs, string correlationId);
}
