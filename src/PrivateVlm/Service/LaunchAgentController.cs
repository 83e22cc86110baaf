namespace PrivateVlm.Service;

/// <summary>
/// macOS: a LaunchAgent in the gui/&lt;uid&gt; domain. Stop, start and restart keep the job loaded, so what the user
/// types by hand (`launchctl stop|start org.privatevlm.daemon`) and what these verbs do can follow each other in any
/// order. Stop is SIGTERM through launchd: the daemon drains and exits 0, and with KeepAlive {SuccessfulExit=false}
/// launchd restarts only a job whose exit was not a clean 0 (launchd.plist(5)), so a requested stop stays stopped
/// until the next start or login. bootout (unload) is for uninstall, reinstall and `stop --unload`.
/// </summary>
public sealed class LaunchAgentController(
    ServiceLocations locations,
    string userId,
    IServiceCommandRunner runner,
    InstallationFiles files,
    TextWriter output,
    TimeProvider time) : IServiceController
{
    /// <summary>bootstrap right after bootout fails with "5: Input/output error" while launchd still tears the old job down.</summary>
    private const int InputOutputError = 5;
    private const int BootstrapAttempts = 5;
    private static readonly TimeSpan BootstrapRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StopPollInterval = TimeSpan.FromMilliseconds(500);

    public ServiceLocations Locations => locations;

    public string Domain => $"gui/{userId}";

    public string ServiceTarget => $"{Domain}/{ServiceLocations.LaunchdLabel}";

    public async Task InstallAsync(ServiceDefinition definition, string sourceDirectory, CancellationToken cancellationToken)
    {
        files.CheckApplication(sourceDirectory, Path.GetDirectoryName(definition.Apphost)!);

        // A loaded job keeps its old plist and binary; unload it first (failing here just means it was not loaded).
        await runner.RunAsync(ServiceCommand.Launchctl("bootout", ServiceTarget), cancellationToken);
        files.CopyApplication(sourceDirectory, Path.GetDirectoryName(definition.Apphost)!);
        foreach (var folder in definition.FoldersToCreate(locations.DefinitionFile))
        {
            files.CreateDirectory(folder);
        }

        files.WriteFile(locations.DefinitionFile, LaunchAgentPlist.Render(definition));
        await BootstrapAsync(cancellationToken);
    }

    public async Task UninstallAsync(bool keepApp, bool purgeData, CancellationToken cancellationToken)
    {
        var installed = ReadInstalled();
        await runner.RunAsync(ServiceCommand.Launchctl("bootout", ServiceTarget), cancellationToken);
        files.DeleteFile(locations.DefinitionFile);
        if (!keepApp)
        {
            files.DeleteApplication(installed?.AppDirectory ?? locations.AppDirectory);
        }

        if (purgeData)
        {
            DataPurge.Remove(files, installed?.Database ?? locations.DefaultDatabase, locations.LogDirectory);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        RequireInstalled();

        // enable first: `stop --disable` (or a raw `launchctl disable`) must not outlive an explicit start.
        await RequireAsync(ServiceCommand.Launchctl("enable", ServiceTarget), cancellationToken);
        var kickstart = await runner.RunAsync(ServiceCommand.Launchctl("kickstart", ServiceTarget), cancellationToken);
        if (!kickstart.Executed || kickstart.Succeeded)
        {
            return; // started, or already running (kickstart without -k leaves a running instance alone)
        }

        if (await PrintAsync(cancellationToken) is not null)
        {
            throw new ServiceSetupException($"launchctl kickstart failed ({kickstart.ExitCode}): {kickstart.Message}");
        }

        // Not loaded (never bootstrapped in this session, `stop --unload`, or a raw bootout): load it; RunAtLoad starts it.
        output.WriteLine("# not loaded: loading it");
        await BootstrapAsync(cancellationToken);
    }

    public async Task StopAsync(ServiceStopRequest request, CancellationToken cancellationToken)
    {
        if (request.Unload)
        {
            await UnloadAsync(cancellationToken);
        }
        else
        {
            var stopped = await TerminateAsync(cancellationToken);
            if (stopped is { CleanExit: false })
            {
                throw new ServiceSetupException(
                    $"The daemon exited with {stopped.LastExit ?? "an unknown status"} instead of 0 after SIGTERM, so launchd's KeepAlive starts it again. " +
                    $"Its log is in {locations.LogDirectory}; `privatevlm service stop --unload` keeps it down.");
            }
        }

        if (request.Disable)
        {
            await RequireAsync(ServiceCommand.Launchctl("disable", ServiceTarget), cancellationToken);
        }
    }

    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        // Not `kickstart -k`: it kills the running instance without the drain (reported on macOS as SIGKILL, last exit status 9),
        // and a photo in flight would be charged an attempt for a crash that never happened.
        var stopped = await TerminateAsync(cancellationToken);
        if (stopped is { CleanExit: false })
        {
            output.WriteLine($"# the daemon exited with {stopped.LastExit ?? "an unknown status"} instead of 0; starting it anyway");
        }

        await StartAsync(cancellationToken);
    }

    public async Task<ServiceStatus?> StatusAsync(CancellationToken cancellationToken)
    {
        var installed = ReadInstalled();
        var result = await runner.RunAsync(ServiceCommand.Launchctl("print", ServiceTarget), cancellationToken);
        if (!result.Executed)
        {
            return null;
        }

        var database = installed?.Database;
        if (!result.Succeeded)
        {
            return new ServiceStatus(ServiceTarget, locations.DefinitionFile, installed is not null, false, "not loaded", null, null, database);
        }

        var fields = LaunchctlPrint.Parse(result.StandardOutput);
        var lastExit = fields.LastSignal is null ? fields.LastExitCode : $"{fields.LastExitCode} (signal: {fields.LastSignal})";
        return new ServiceStatus(ServiceTarget, locations.DefinitionFile, installed is not null, true, fields.State, fields.ProcessId, lastExit, database);
    }

    /// <summary>
    /// enable (a disabled job refuses to bootstrap with error 5) then bootstrap. When bootstrap fails, `print` tells the
    /// two other causes apart: already loaded (then kickstart, which starts it only if it is not running) or still being
    /// torn down after a bootout (then retry, bounded).
    /// </summary>
    private async Task BootstrapAsync(CancellationToken cancellationToken)
    {
        await RequireAsync(ServiceCommand.Launchctl("enable", ServiceTarget), cancellationToken);
        var bootstrap = ServiceCommand.Launchctl("bootstrap", Domain, locations.DefinitionFile);
        for (var attempt = 1; ; attempt++)
        {
            var result = await runner.RunAsync(bootstrap, cancellationToken);
            if (!result.Executed || result.Succeeded)
            {
                return;
            }

            if (await PrintAsync(cancellationToken) is not null)
            {
                output.WriteLine("# already loaded");
                await RequireAsync(ServiceCommand.Launchctl("kickstart", ServiceTarget), cancellationToken);
                return;
            }

            if (result.ExitCode != InputOutputError || attempt == BootstrapAttempts)
            {
                throw new ServiceSetupException(
                    $"launchctl bootstrap failed ({result.ExitCode}): {result.Message}. Check the plist with `plutil -lint {locations.DefinitionFile}` " +
                    $"and the disabled list with `launchctl print-disabled {Domain}`.");
            }

            await Task.Delay(BootstrapRetryDelay, time, cancellationToken);
        }
    }

    private async Task UnloadAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(ServiceCommand.Launchctl("bootout", ServiceTarget), cancellationToken);
        if (result.Executed && !result.Succeeded)
        {
            if (await PrintAsync(cancellationToken) is not null)
            {
                throw new ServiceSetupException($"launchctl bootout failed ({result.ExitCode}): {result.Message}");
            }

            output.WriteLine("# not loaded: already stopped");
        }
    }

    /// <summary>What a stop ended with: whether the last exit was the clean 0 that keeps launchd from restarting the job.</summary>
    private sealed record StopOutcome(bool CleanExit, string? LastExit);

    /// <summary>
    /// SIGTERM through launchd (`launchctl kill`, the modern form of `launchctl stop`), then waits until launchd reports
    /// no process, bounded by the plist's ExitTimeOut (after which launchd itself sends SIGKILL) plus a margin. Null when
    /// nothing was running or in a dry run.
    /// </summary>
    private async Task<StopOutcome?> TerminateAsync(CancellationToken cancellationToken)
    {
        var before = await runner.RunAsync(ServiceCommand.Launchctl("print", ServiceTarget), cancellationToken);
        if (before.Executed && !before.Succeeded)
        {
            output.WriteLine("# not loaded: nothing to stop (`privatevlm service start` loads and starts it)");
            return null;
        }

        var running = before.Executed ? LaunchctlPrint.Parse(before.StandardOutput).ProcessId : null;
        if (before.Executed && running is null)
        {
            output.WriteLine("# not running: already stopped");
            return null;
        }

        var limit = StopWaitLimit();
        var kill = await runner.RunAsync(ServiceCommand.Launchctl("kill", "SIGTERM", ServiceTarget), cancellationToken);
        if (!kill.Executed)
        {
            output.WriteLine($"# wait until `launchctl print {ServiceTarget}` shows no pid (at most {limit.TotalSeconds:0} s)");
            return null;
        }

        if (!kill.Succeeded && await PrintAsync(cancellationToken) is { ProcessId: not null })
        {
            throw new ServiceSetupException($"launchctl kill SIGTERM failed ({kill.ExitCode}): {kill.Message}");
        }

        var started = time.GetTimestamp();
        while (true)
        {
            var now = await PrintAsync(cancellationToken);
            if (now is null)
            {
                return new StopOutcome(true, null); // unloaded meanwhile (a bootout from elsewhere): down all the same
            }

            // No process, or already another one: KeepAlive restarted it after an exit that was not a clean 0.
            if (now.ProcessId is null || now.ProcessId != running)
            {
                var lastExit = now.LastSignal is null ? now.LastExitCode : $"{now.LastExitCode} (signal: {now.LastSignal})";
                var clean = now.ProcessId is null && now.LastExitCode == "0";
                output.WriteLine(clean
                    ? $"# stopped (exit 0); still loaded: `launchctl start {ServiceLocations.LaunchdLabel}` or `privatevlm service start` starts it, and so does your next login"
                    : $"# exited with {lastExit ?? "an unknown status"}");
                return new StopOutcome(clean, lastExit);
            }

            if (time.GetElapsedTime(started) > limit)
            {
                throw new ServiceSetupException(
                    $"The daemon (pid {running}) is still running {limit.TotalSeconds:0} s after SIGTERM. `launchctl print {ServiceTarget}` shows its state; " +
                    $"`launchctl kill SIGKILL {ServiceTarget}` ends it (in-flight photos go back to the queue).");
            }

            await Task.Delay(StopPollInterval, time, cancellationToken);
        }
    }

    /// <summary>ExitTimeOut of the installed plist (the daemon's drain + 15 s), plus 15 s for launchd's own SIGKILL to land.</summary>
    private TimeSpan StopWaitLimit()
    {
        var drain = ReadInstalled()?.ShutdownTimeout ?? ServiceDefinition.DefaultShutdownTimeout;
        return TimeSpan.FromSeconds(ServiceDefinition.StopTimeoutFor(drain) + 15);
    }

    /// <summary>launchd's view of the job; null when it is not loaded (or in a dry run, where nothing is asked).</summary>
    private async Task<LaunchctlPrint.Fields?> PrintAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(ServiceCommand.Launchctl("print", ServiceTarget), cancellationToken);
        return result.Succeeded ? LaunchctlPrint.Parse(result.StandardOutput) : null;
    }

    private async Task RequireAsync(ServiceCommand command, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.Executed && !result.Succeeded)
        {
            throw new ServiceSetupException($"'{command}' failed ({result.ExitCode}): {result.Message}");
        }
    }

    private void RequireInstalled()
    {
        if (!File.Exists(locations.DefinitionFile))
        {
            throw new ServiceSetupException($"{locations.DefinitionFile} does not exist: run `privatevlm service install --watch <folder>` first.");
        }
    }

    private InstalledProgram? ReadInstalled() =>
        File.Exists(locations.DefinitionFile)
            ? new InstalledProgram(LaunchAgentPlist.ReadProgramArguments(File.ReadAllText(locations.DefinitionFile)))
            : null;
}
