namespace Carelake.Audit;

/// <summary>Signs the chain head every Carelake:Audit:CheckpointSeconds and once more at shutdown; applies retention.</summary>
public sealed partial class AuditCheckpointer(AuditTrail trail, Hosting.CarelakeOptions options, ILogger<AuditCheckpointer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Audit.CheckpointSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await RunOnceAsync(cancellationToken);
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await trail.CheckpointAsync(cancellationToken);
            await trail.ApplyRetentionAsync(options.Audit.RetentionDays, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next tick retries; the records themselves are already durable.
            LogFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Audit checkpoint failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
