namespace PrivateVlm.Service;

/// <summary>
/// macOS: a LaunchAgent in the gui/&lt;uid&gt; domain. Only the modern launchctl subcommands are used: `stop` would just
/// be undone by KeepAlive, so stopping is bootout, and starting after a bootout is bootstrap again.
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

    public Task StartAsync(CancellationToken cancellationToken)
    {
        RequireInstalled();
        return BootstrapAsync(cancellationToken);
    }

    public async Task StopAsync(bool disable, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(ServiceCommand.Launchctl("bootout", ServiceTarget), cancellationToken);
        if (result.Executed && !result.Succeeded)
        {
            if (await IsLoadedAsync(cancellationToken))
            {
                throw new ServiceSetupException($"launchctl bootout failed ({result.ExitCode}): {result.Message}");
            }

            output.WriteLine("# not loaded: already stopped");
        }

        if (disable)
        {
            await RequireAsync(ServiceCommand.Launchctl("disable", ServiceTarget), cancellationToken);
        }
    }

    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(ServiceCommand.Launchctl("kickstart", "-k", ServiceTarget), cancellationToken);
        if (!result.Executed || result.Succeeded)
        {
            return;
        }

        if (await IsLoadedAsync(cancellationToken))
        {
            throw new ServiceSetupException($"launchctl kickstart -k failed ({result.ExitCode}): {result.Message}");
        }

        // Not loaded (stopped with bootout): restarting means loading it again.
        output.WriteLine("# not loaded: starting instead");
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

            if (await IsLoadedAsync(cancellationToken))
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

    private async Task<bool> IsLoadedAsync(CancellationToken cancellationToken) =>
        (await runner.RunAsync(ServiceCommand.Launchctl("print", ServiceTarget), cancellationToken)).Succeeded;

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
