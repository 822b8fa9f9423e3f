using Carelake.Core.Fhir;
using Carelake.Core.Jobs;
using Carelake.Core.Storage;

namespace Carelake.Hosting;

/// <summary>
/// Runs queued jobs one at a time in the background, and resumes a job that a previous process left running.
/// A failed job records a message without internals; details go to the log with the job id.
/// </summary>
public sealed partial class JobRunner(CarelakeServices services, ILogger<JobRunner> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>Wakes the runner at once instead of at its next poll.</summary>
    public void Notify() => _signal.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            JobRecord? job = null;
            try
            {
                job = await services.Jobs.ClaimNextAsync(stoppingToken);
                if (job is null)
                {
                    await _signal.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken);
                    continue;
                }

                LogStarted(logger, job.Id, job.Kind, job.Cursor);
                switch (job.Kind)
                {
                    case ReindexJob.Kind:
                        await services.Reindex.RunAsync(job, services.Jobs, stoppingToken);
                        break;
                    default:
                        await services.Jobs.FinishAsync(job.Id, JobRecord.Failed, $"Unknown job kind '{job.Kind}'.", stoppingToken);
                        break;
                }

                LogFinished(logger, job.Id);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down: the job stays 'running' and resumes from its cursor at the next start.
                return;
            }
            catch (Exception e) when (job is not null)
            {
                LogFailed(logger, e, job.Id);
                await services.Jobs.FinishAsync(job.Id, JobRecord.Failed, "The job failed; see the server log for job " + job.Id + ".", CancellationToken.None);
            }
            catch (FhirException e) when (job is null && e.Status == 503)
            {
                // The database is unreachable (a PostgreSQL restart): keep polling; an escaping exception would stop the host.
                LogQueueUnavailable(logger);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) started at cursor {Cursor}")]
    private static partial void LogStarted(ILogger logger, string jobId, string kind, long cursor);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Job {JobId} finished")]
    private static partial void LogFinished(ILogger logger, string jobId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "The job queue is unavailable (database unreachable); polling again")]
    private static partial void LogQueueUnavailable(ILogger logger);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Job {JobId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string jobId);
}
