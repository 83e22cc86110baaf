using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.Daemon;

namespace PrivateVlm.Pipeline;

/// <summary>
/// Runs every runnable stage's workers: claim a job, run the stage under its time limit, record the outcome.
/// Idle workers sleep until a pulse or the next backoff is due (no busy polling). On shutdown no new job is
/// claimed; in-flight jobs finish, or are released back to the queue when the host's shutdown timeout runs out.
/// </summary>
public sealed partial class StageWorkers : BackgroundService
{
    private static readonly TimeSpan IdleRecheck = TimeSpan.FromSeconds(30);

    private readonly StageCatalog _stages;
    private readonly JobQueue _queue;
    private readonly JobSignals _signals;
    private readonly DaemonExit _exit;
    private readonly TimeProvider _time;
    private readonly ILogger<StageWorkers> _logger;

    // Cancelled only when the host gives up waiting for in-flight work (the end of its shutdown timeout).
    private readonly CancellationTokenSource _abandon = new();
    private readonly ConcurrentDictionary<(string Stage, string Reason), byte> _machineProblemsSaid = new();

    public StageWorkers(
        StageCatalog stages, JobQueue queue, JobSignals signals, DaemonExit exit, TimeProvider time, ILogger<StageWorkers> logger)
    {
        _stages = stages;
        _queue = queue;
        _signals = signals;
        _exit = exit;
        _time = time;
        _logger = logger;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => _abandon.Cancel());
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = new List<Task>();
        foreach (var stage in _stages.All)
        {
            if (!_stages.IsRunnable(stage))
            {
                LogNotConfigured(_logger, stage.Name, stage.NotConfiguredReason ?? "a stage it depends on is not configured");
                continue;
            }

            for (var i = 0; i < Math.Max(1, stage.Policy.Concurrency); i++)
            {
                var workerId = $"{Environment.ProcessId}/{stage.Name}/{i}";
                workers.Add(Task.Run(() => WorkAsync(stage, workerId, stoppingToken), CancellationToken.None));
            }
        }

        await Task.WhenAll(workers);
    }

    private async Task WorkAsync(IPhotoStage stage, string workerId, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await _queue.ClaimAsync(stage, workerId, stage.Policy.BatchSize, stoppingToken);
                if (batch.Count == 0)
                {
                    await _signals.WaitAsync(stage.Name, UntilNextDue(stage), _time, stoppingToken);
                    continue;
                }

                // More may be waiting: wake a sibling worker so a backlog uses the stage's whole concurrency.
                _signals.Pulse(stage.Name);
                await RunBatchAsync(stage, batch);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The queue itself failed (database gone, disk full, corrupt): nothing sensible can continue.
                _exit.Fatal($"stage '{stage.Name}' could not use the job queue", e);
                return;
            }
        }
    }

    private TimeSpan UntilNextDue(IPhotoStage stage)
    {
        if (_queue.RunsCrashSuspectsAlone)
        {
            // Due jobs wait for the suspects, and each finished suspect pulses every stage: polling would only spin.
            return IdleRecheck;
        }

        var due = _queue.NextDue(stage.Name);
        if (due is null)
        {
            return IdleRecheck;
        }

        var wait = due.Value - _time.GetUtcNow();
        return wait < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : wait < IdleRecheck ? wait : IdleRecheck;
    }

    private async Task RunBatchAsync(IPhotoStage stage, IReadOnlyList<ClaimedJob> batch)
    {
        var succeeded = new List<(ClaimedJob, Action<SqliteConnection, SqliteTransaction>)>();
        var started = _time.GetTimestamp();
        foreach (var claimed in batch)
        {
            if (_abandon.IsCancellationRequested)
            {
                await _queue.PostponeAsync(claimed, TimeSpan.Zero, "released at shutdown", _abandon.Token);
                continue;
            }

            if (await RunOneAsync(stage, claimed) is { } persist)
            {
                succeeded.Add((claimed, persist));
            }
        }

        if (succeeded.Count == 0)
        {
            return;
        }

        // One transaction for the batch's results: durable together, and the database is not the bottleneck.
        var commits = await _queue.CompleteAsync(succeeded, _abandon.Token);
        var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
        foreach (var commit in commits)
        {
            var job = commit.Claimed.Job;
            switch (commit.Outcome)
            {
                case CommitOutcome.Committed:
                    LogDone(_logger, stage.Name, job.PhotoId, job.Path, milliseconds);
                    break;
                case CommitOutcome.Outdated:
                    LogPostponed(_logger, stage.Name, job.PhotoId, commit.Reason!, 0);
                    break;
                default:
                    LogLeaseLost(_logger, stage.Name, job.PhotoId);
                    break;
            }
        }
    }

    /// <summary>Runs one job; returns what to persist on success, or null once a failure/postponement is recorded.</summary>
    private async Task<Action<SqliteConnection, SqliteTransaction>?> RunOneAsync(IPhotoStage stage, ClaimedJob claimed)
    {
        var job = claimed.Job;
        if (job.FileChangedSinceIdentified())
        {
            // Replaced since it was hashed: the ingest identifies the new content (a new photo) and this photo's job
            // comes back with another path or, when no file holds it any more, fails saying so.
            await PostponeChangedAsync(stage, claimed);
            return null;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token);
        limit.CancelAfter(stage.Policy.TimeLimit);

        StageOutcome outcome;
        try
        {
            // WaitAsync also bounds stages whose native work cannot observe the token: the attempt is given up and
            // recorded even if a thread stays busy in native code.
            outcome = await stage.RunAsync(job, limit.Token).WaitAsync(stage.Policy.TimeLimit + TimeSpan.FromSeconds(1), _time, _abandon.Token);
        }
        catch (Exception e) when (_abandon.IsCancellationRequested)
        {
            LogReleasedOnShutdown(_logger, stage.Name, job.PhotoId, job.Path, e.GetType().Name);
            await _queue.PostponeAsync(claimed, TimeSpan.Zero, "released at shutdown", _abandon.Token);
            return null;
        }
        catch (PhotoRejectedException e)
        {
            outcome = new StageOutcome.Rejected(e.Message);
        }
        catch (NotAvailableHereException e)
        {
            // The machine lacks a library or decoder: nothing changes while this process runs (a native library is
            // loaded once), so the job waits uncharged and start-up makes it due again. A library of such photos would
            // otherwise fill the log with one line each for the same missing package.
            if (_machineProblemsSaid.TryAdd((stage.Name, e.Reason), 0))
            {
                LogNotAvailableHere(_logger, stage.Name, e.Reason);
            }

            LogWaitingForMachine(_logger, stage.Name, job.PhotoId, e.Reason);
            await _queue.PostponeAsync(claimed, stage.Policy.Retry.MachineProblemDelay, e.Reason, _abandon.Token);
            return null;
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && limit.IsCancellationRequested))
        {
            await RecordFailureAsync(stage, claimed, $"timed out after {stage.Policy.TimeLimit.TotalSeconds:F0} s", permanent: false);
            return null;
        }
        catch (Exception e)
        {
            await RecordFailureAsync(stage, claimed, $"{e.GetType().Name}: {e.Message}", permanent: false);
            return null;
        }

        if (outcome is StageOutcome.Done or StageOutcome.Rejected && job.FileChangedSinceIdentified())
        {
            // Rewritten while the stage read it: the result (or the verdict "corrupt") may be about other bytes.
            await PostponeChangedAsync(stage, claimed);
            return null;
        }

        if (outcome is StageOutcome.Rejected && job.FileGone())
        {
            // A decoder that opens the file again by name (libvips does, between the header and the pixels) fails on a
            // file deleted or moved meanwhile. That is no verdict on the photo, whose bytes may live on under another
            // name: the job comes back with that name or, when no file holds the photo any more, fails saying so.
            await PostponeAsync(stage, claimed, "the file went away while this stage read it; waiting for the folder to be looked at again");
            return null;
        }

        switch (outcome)
        {
            case StageOutcome.Done done:
                return done.Persist;
            case StageOutcome.Rejected rejected:
                await RecordFailureAsync(stage, claimed, rejected.Error, permanent: true);
                return null;
            case StageOutcome.Postponed postponed:
                LogPostponed(_logger, stage.Name, job.PhotoId, postponed.Reason, postponed.Delay.TotalSeconds);
                await _queue.PostponeAsync(claimed, postponed.Delay, postponed.Reason, _abandon.Token);
                return null;
            default:
                throw new InvalidOperationException($"unknown outcome {outcome.GetType().Name}");
        }
    }

    private Task PostponeChangedAsync(IPhotoStage stage, ClaimedJob claimed) =>
        PostponeAsync(stage, claimed, "the file changed since its content was identified; waiting for it to be identified again");

    private async Task PostponeAsync(IPhotoStage stage, ClaimedJob claimed, string reason)
    {
        var recheck = stage.Policy.Retry.ChangedFileRecheck;
        LogPostponed(_logger, stage.Name, claimed.Job.PhotoId, reason, recheck.TotalSeconds);
        await _queue.PostponeAsync(claimed, recheck, reason, _abandon.Token);
    }

    private async Task RecordFailureAsync(IPhotoStage stage, ClaimedJob claimed, string error, bool permanent)
    {
        var job = claimed.Job;
        var final = permanent || job.Attempt >= stage.Policy.MaxAttempts;
        LogFailed(_logger, stage.Name, job.PhotoId, job.Path, job.Attempt, stage.Policy.MaxAttempts, final ? "failed" : "will retry", error);
        await _queue.FailAsync(claimed, stage.Policy.Retry, error, permanent, _abandon.Token);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} is not configured: {Reason}")]
    private static partial void LogNotConfigured(ILogger logger, string stage, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Stage} done for photo {PhotoId} ({Path}); batch took {Milliseconds:F1} ms")]
    private static partial void LogDone(ILogger logger, string stage, long photoId, string path, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Stage} failed for photo {PhotoId} ({Path}), attempt {Attempt}/{MaxAttempts}, {Next}: {Error}")]
    private static partial void LogFailed(ILogger logger, string stage, long photoId, string path, int attempt, int maxAttempts, string next, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Stage} cannot run on this machine: {Reason}. Photos that need it wait, uncharged (`privatevlm status` counts them), and go on at the next start once it is there")]
    private static partial void LogNotAvailableHere(ILogger logger, string stage, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Stage} for photo {PhotoId} waits for the machine: {Reason}")]
    private static partial void LogWaitingForMachine(ILogger logger, string stage, long photoId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Stage} postponed for photo {PhotoId}: {Reason}; again in {Seconds:F0} s")]
    private static partial void LogPostponed(ILogger logger, string stage, long photoId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Stage} result for photo {PhotoId} discarded: its lease expired and the job was taken over")]
    private static partial void LogLeaseLost(ILogger logger, string stage, long photoId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Stage} for photo {PhotoId} ({Path}) released back to the queue at shutdown ({Reason})")]
    private static partial void LogReleasedOnShutdown(ILogger logger, string stage, long photoId, string path, string reason);
}
