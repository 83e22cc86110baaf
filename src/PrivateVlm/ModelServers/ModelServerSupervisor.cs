using System.ComponentModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.ModelServers;

/// <summary>
/// Keeps one tier's model server running: starts it, waits until it is ready (its kind's health question answered,
/// see <see cref="ServerReadiness"/>, plus a one-token warm-up completion), restarts it with exponential backoff when it exits unexpectedly, stops an idle deep server
/// and starts it again when deep work is queued, and stops it with the daemon. <see cref="Snapshot"/> is what health
/// reporting knows about the process, which is what tells "still loading" from "down".
/// </summary>
public sealed partial class ModelServerSupervisor : BackgroundService
{
    private static readonly TimeSpan HealthPollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan WarmUpRetryInterval = TimeSpan.FromSeconds(2);

    private readonly ModelServerProbe _probe;
    private readonly ServerReadiness _readiness;
    private readonly PendingStageWork _work;
    private readonly ServerPidFile _pidFile;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelServerSupervisor> _logger;
    private readonly Lock _gate = new();

    private ServerProcess? _current;
    private ServerPhase _phase = ServerPhase.NotStarted;
    private int _restarts;
    private int? _lastExitCode;
    private DateTimeOffset? _lastExitAt;
    private DateTimeOffset? _nextStartAt;
    private DateTimeOffset? _readyAt;
    private string? _lastProblem;

    public ModelServerSupervisor(
        ModelServerPlan plan, ModelServerProbe probe, PendingStageWork work, ServerPidFile pidFile, TimeProvider time,
        ILogger<ModelServerSupervisor> logger)
    {
        Plan = plan;
        _pidFile = pidFile;
        _probe = probe;
        _readiness = new ServerReadiness(probe);
        _work = work;
        _time = time;
        _logger = logger;
    }

    public ModelServerPlan Plan { get; }

    public string Tier => Plan.Tier;

    public ServerSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new ServerSnapshot(
                Tier, _phase, _current?.Id, _current is { IsAlive: true }, _current?.StartedAt, _restarts,
                _lastExitCode, _lastExitAt, _nextStartAt, Plan.ExpectedStartTime, _lastProblem);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: stopping an orphan may take the grace period.
        await Task.Yield();
        if (_pidFile.StopOrphan(Plan.Options.StopGracePeriod) is { } orphan)
        {
            LogOrphanStopped(_logger, Tier, orphan, _pidFile.Path);
        }

        var consecutiveFailures = 0;
        var restarting = false;
        var stopping = Task.Delay(Timeout.InfiniteTimeSpan, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        while (!stoppingToken.IsCancellationRequested)
        {
            ServerProcess run;
            try
            {
                run = ServerProcess.Start(Plan, _logger, _time);
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException)
            {
                consecutiveFailures++;
                var delay = Plan.Options.RestartBackoff.DelayAfter(consecutiveFailures);
                Update(() =>
                {
                    _phase = ServerPhase.Exited;
                    _lastExitCode = null;
                    _lastExitAt = _time.GetUtcNow();
                    _nextStartAt = _lastExitAt + delay;
                    _lastProblem = $"could not start {Plan.Options.Command}: {e.Message}";
                });
                LogLaunchFailed(_logger, Tier, Plan.Options.Command!, e.Message, delay.TotalSeconds);
                if (!await WaitAsync(delay, stoppingToken))
                {
                    break;
                }

                restarting = true;
                continue;
            }

            using (run)
            {
                _pidFile.Record(run.Id, run.OsStartTime);
                var isRestart = restarting;
                restarting = false;
                Update(() =>
                {
                    // One update, so no snapshot shows the new restart count with the previous run's times.
                    _current = run;
                    _phase = ServerPhase.Loading;
                    _restarts += isRestart ? 1 : 0;
                    _nextStartAt = null;
                    _readyAt = null;
                    _lastProblem = null;
                });
                LogStarted(_logger, Tier, run.Id, Plan.Options.Command!, Plan.ExpectedStartTime.TotalSeconds);

                using var runScope = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var ready = BecomeReadyAsync(run, runScope.Token);
                var idle = Plan.Options.IdleStopAfter is { } idleLimit ? WatchForIdleAsync(idleLimit, runScope.Token) : Task.Delay(Timeout.InfiniteTimeSpan, runScope.Token);
                var first = await Task.WhenAny(run.Exited, idle, stopping);
                await runScope.CancelAsync();
                await Task.WhenAll(ready, idle).ContinueWith(static _ => { }, TaskScheduler.Default);

                if (first == stopping || stoppingToken.IsCancellationRequested)
                {
                    await run.StopAsync(Plan.Options.StopGracePeriod);
                    _pidFile.Clear();
                    Update(() => _phase = ServerPhase.Stopped);
                    break;
                }

                if (first == idle && idle.IsCompletedSuccessfully && !run.HasExited)
                {
                    LogIdleStopping(_logger, Tier, run.Id, Plan.Options.IdleStopAfter!.Value.TotalSeconds);
                    await run.StopAsync(Plan.Options.StopGracePeriod);
                    _pidFile.Clear();
                    Update(() =>
                    {
                        _phase = ServerPhase.IdleStopped;
                        _lastExitCode = run.HasExited ? run.Exited.Result : null;
                        _lastExitAt = _time.GetUtcNow();
                    });
                    if (!await WaitForWorkAsync(stoppingToken))
                    {
                        break;
                    }

                    LogWorkArrived(_logger, Tier);
                    continue;
                }

                var exitCode = await run.Exited;
                _pidFile.Clear();
                if (_readyAt is not null)
                {
                    consecutiveFailures = 0; // a server that had become ready starts a new incident
                }

                consecutiveFailures++;
                var restartDelay = Plan.Options.RestartBackoff.DelayAfter(consecutiveFailures);
                Update(() =>
                {
                    _phase = ServerPhase.Exited;
                    _lastExitCode = exitCode;
                    _lastExitAt = _time.GetUtcNow();
                    _nextStartAt = _lastExitAt + restartDelay;
                    _lastProblem = $"exited with code {exitCode}";
                });
                LogExited(_logger, Tier, run.Id, exitCode, restartDelay.TotalSeconds, consecutiveFailures);
                if (!await WaitAsync(restartDelay, stoppingToken))
                {
                    Update(() => _phase = ServerPhase.Stopped);
                    break;
                }

                restarting = true;
            }
        }
    }

    private async Task BecomeReadyAsync(ServerProcess run, CancellationToken cancellationToken)
    {
        try
        {
            while (!run.HasExited)
            {
                var health = await _readiness.AskAsync(Plan.Endpoint, Plan.Kind, Plan.Model, Plan.HealthUrl, cancellationToken);
                if (health.Answer == EndpointAnswer.Ok)
                {
                    var problem = await _probe.WarmUpAsync(Plan.Endpoint, Plan.Model, cancellationToken);
                    if (problem is null)
                    {
                        var readyAt = _time.GetUtcNow();
                        Update(() =>
                        {
                            _phase = ServerPhase.Ready;
                            _readyAt = readyAt;
                            _lastProblem = null;
                        });
                        LogReady(_logger, Tier, run.Id, (readyAt - run.StartedAt).TotalSeconds);
                        return;
                    }

                    Update(() => _lastProblem = problem);
                    LogWarmUpFailed(_logger, Tier, run.Id, problem);
                    await Task.Delay(WarmUpRetryInterval, _time, cancellationToken);
                    continue;
                }

                await Task.Delay(HealthPollInterval, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Completes when the ready server has had no deep work for <paramref name="limit"/>.</summary>
    private async Task WatchForIdleAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var lastWorkAt = _time.GetUtcNow();
        while (true)
        {
            await Task.Delay(Plan.Options.WorkPollInterval, _time, cancellationToken);
            if (_work.Exists(Tier) != false)
            {
                lastWorkAt = _time.GetUtcNow(); // work, or the queue could not be read: not idle
                continue;
            }

            DateTimeOffset? readyAt;
            lock (_gate)
            {
                readyAt = _readyAt;
            }

            // A server still loading is never stopped for idleness: its load would be wasted.
            if (readyAt is { } ready && _time.GetUtcNow() - (ready > lastWorkAt ? ready : lastWorkAt) >= limit)
            {
                return;
            }
        }
    }

    private async Task<bool> WaitForWorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (_work.Exists(Tier) != true)
            {
                await Task.Delay(Plan.Options.WorkPollInterval, _time, cancellationToken);
            }

            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Update(Action change)
    {
        lock (_gate)
        {
            change();
        }
    }

    [LoggerMessage(EventId = 4310, Level = LogLevel.Information, Message = "Started the {Tier} server (pid {ProcessId}): {Command}; loading may take up to {ExpectedSeconds:F0} s")]
    private static partial void LogStarted(ILogger logger, string tier, int processId, string command, double expectedSeconds);

    [LoggerMessage(EventId = 4311, Level = LogLevel.Information, Message = "The {Tier} server (pid {ProcessId}) is ready after {Seconds:F1} s (health ok, warm-up completion answered)")]
    private static partial void LogReady(ILogger logger, string tier, int processId, double seconds);

    [LoggerMessage(EventId = 4312, Level = LogLevel.Warning, Message = "The {Tier} server (pid {ProcessId}) says it is healthy but the warm-up completion failed: {Problem}")]
    private static partial void LogWarmUpFailed(ILogger logger, string tier, int processId, string problem);

    [LoggerMessage(EventId = 4313, Level = LogLevel.Error, Message = "The {Tier} server (pid {ProcessId}) exited with code {ExitCode}; restarting in {DelaySeconds:F1} s (failure {Failures} in a row)")]
    private static partial void LogExited(ILogger logger, string tier, int processId, int exitCode, double delaySeconds, int failures);

    [LoggerMessage(EventId = 4314, Level = LogLevel.Error, Message = "Could not start the {Tier} server {Command}: {Reason}; trying again in {DelaySeconds:F1} s")]
    private static partial void LogLaunchFailed(ILogger logger, string tier, string command, string reason, double delaySeconds);

    [LoggerMessage(EventId = 4315, Level = LogLevel.Information, Message = "No {Tier} work for {IdleSeconds:F0} s: stopping its server (pid {ProcessId}) to free memory until work is queued")]
    private static partial void LogIdleStopping(ILogger logger, string tier, int processId, double idleSeconds);

    [LoggerMessage(EventId = 4317, Level = LogLevel.Warning, Message = "Stopped the {Tier} server (pid {ProcessId}) a previous daemon left running (recorded in {PidFile})")]
    private static partial void LogOrphanStopped(ILogger logger, string tier, int processId, string pidFile);

    [LoggerMessage(EventId = 4316, Level = LogLevel.Information, Message = "{Tier} work is queued: starting its server again")]
    private static partial void LogWorkArrived(ILogger logger, string tier);
}
