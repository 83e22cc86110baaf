using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PrivateVlm.Interop.Posix;

namespace PrivateVlm.ModelServers;

/// <summary>
/// One run of a supervised server: started directly (no shell, one ArgumentList item per argument), its stdout and
/// stderr copied line by line into the daemon log, and stopped with SIGTERM then, after the grace period, SIGKILL to
/// the whole process tree so nothing it spawned outlives it.
/// </summary>
internal sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly string _tier;
    private readonly OutputLineLimiter _limiter;

    private ServerProcess(Process process, string tier, DateTimeOffset startedAt, ILogger logger, OutputLineLimiter limiter)
    {
        _process = process;
        _tier = tier;
        _logger = logger;
        _limiter = limiter;
        StartedAt = startedAt;
        Id = process.Id;
        Exited = WaitForExitCodeAsync();
    }

    public int Id { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The start time the OS records (what <see cref="ServerPidFile"/> compares); null if it exited already.</summary>
    public DateTimeOffset? OsStartTime
    {
        get
        {
            try
            {
                return new DateTimeOffset(_process.StartTime.ToUniversalTime(), TimeSpan.Zero);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                return null;
            }
        }
    }

    /// <summary>Completes with the exit code when the process has exited (128+N when killed by signal N).</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    /// <summary>Asks the OS, not the exit task (which also waits for the output pipes to close).</summary>
    public bool IsAlive
    {
        get
        {
            try
            {
                return !_process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <exception cref="System.ComponentModel.Win32Exception">The command does not exist or is not executable.</exception>
    public static ServerProcess Start(ModelServerPlan plan, ILogger logger, TimeProvider time)
    {
        var options = plan.Options;
        var start = new ProcessStartInfo(options.Command!)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The server must not read the daemon's stdin (launchd gives /dev/null, a terminal gives the user's keys).
            RedirectStandardInput = true,
            WorkingDirectory = string.IsNullOrWhiteSpace(options.WorkingDirectory) ? "" : options.WorkingDirectory,
        };
        foreach (var argument in options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in options.Environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        process.Start();
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The server exited at once; its exit code tells the story.
        }

        var run = new ServerProcess(process, plan.Tier, time.GetUtcNow(), logger, new OutputLineLimiter(options.MaxLogLinesPerSecond, time));
        process.OutputDataReceived += (_, e) => run.Copy("stdout", e.Data);
        process.ErrorDataReceived += (_, e) => run.Copy("stderr", e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>SIGTERM, then SIGKILL to the process tree after <paramref name="grace"/>. Returns once it is gone.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (HasExited)
        {
            return;
        }

        LogStopping(_logger, _tier, Id, grace.TotalSeconds);
        if (OperatingSystem.IsWindows() || !PosixSignals.Terminate(Id))
        {
            KillTree();
        }

        if (await Task.WhenAny(Exited, Task.Delay(grace)) != Exited)
        {
            LogKilled(_logger, _tier, Id, grace.TotalSeconds);
            KillTree();
        }

        // The kernel reaps a SIGKILLed process promptly; the bound only protects the daemon's shutdown.
        await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    public void Dispose()
    {
        KillTree();
        _process.Dispose();
    }

    private void KillTree()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone or not ours any more.
        }
    }

    private async Task<int> WaitForExitCodeAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    private void Copy(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        var (log, suppressedBefore) = _limiter.Admit();
        if (suppressedBefore > 0)
        {
            LogSuppressed(_logger, _tier, suppressedBefore);
        }

        if (log)
        {
            LogOutput(_logger, _tier, stream, line);
        }
    }

    [LoggerMessage(EventId = 4300, Level = LogLevel.Information, Message = "{Tier} server {Stream}: {Line}")]
    private static partial void LogOutput(ILogger logger, string tier, string stream, string line);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "{Tier} server printed {Count} more line(s) in one second than the log keeps; they were dropped")]
    private static partial void LogSuppressed(ILogger logger, string tier, int count);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Stopping the {Tier} server (pid {ProcessId}): SIGTERM, SIGKILL after {GraceSeconds:F0} s")]
    private static partial void LogStopping(ILogger logger, string tier, int processId, double graceSeconds);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Warning, Message = "The {Tier} server (pid {ProcessId}) ignored SIGTERM for {GraceSeconds:F0} s; killed it and its children")]
    private static partial void LogKilled(ILogger logger, string tier, int processId, double graceSeconds);
}
