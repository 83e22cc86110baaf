namespace PrivateVlm.Service;

/// <summary>
/// Linux: a systemd user unit driven with `systemctl --user`. It runs while the user has a session; `loginctl
/// enable-linger` keeps the user manager (and the daemon) running without one.
/// </summary>
public sealed class SystemdUserUnitController(
    ServiceLocations locations,
    IServiceCommandRunner runner,
    InstallationFiles files) : IServiceController
{
    private const string Unit = ServiceLocations.SystemdUnitName;

    public ServiceLocations Locations => locations;

    public async Task InstallAsync(ServiceDefinition definition, string sourceDirectory, CancellationToken cancellationToken)
    {
        files.CheckApplication(sourceDirectory, Path.GetDirectoryName(definition.Apphost)!);

        // enable --now does not restart a running unit, so a reinstall stops the old binary first (fails harmlessly
        // when the unit does not exist yet).
        await runner.RunAsync(ServiceCommand.SystemctlUser("stop", Unit), cancellationToken);
        files.CopyApplication(sourceDirectory, Path.GetDirectoryName(definition.Apphost)!);
        foreach (var folder in definition.FoldersToCreate(locations.DefinitionFile))
        {
            files.CreateDirectory(folder);
        }

        files.WriteFile(locations.DefinitionFile, SystemdUserUnit.Render(definition));
        await RequireAsync(ServiceCommand.SystemctlUser("daemon-reload"), cancellationToken);
        await RequireAsync(ServiceCommand.SystemctlUser("enable", "--now", Unit), cancellationToken);
    }

    public async Task UninstallAsync(bool keepApp, bool purgeData, CancellationToken cancellationToken)
    {
        var installed = ReadInstalled();
        await runner.RunAsync(ServiceCommand.SystemctlUser("disable", "--now", Unit), cancellationToken);
        files.DeleteFile(locations.DefinitionFile);
        await RequireAsync(ServiceCommand.SystemctlUser("daemon-reload"), cancellationToken);
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
        if (!File.Exists(locations.DefinitionFile))
        {
            throw new ServiceSetupException($"{locations.DefinitionFile} does not exist: run `privatevlm service install --watch <folder>` first.");
        }

        return RequireAsync(ServiceCommand.SystemctlUser("enable", "--now", Unit), cancellationToken);
    }

    /// <summary>
    /// `systemctl --user stop` sends SIGTERM, waits for the exit (TimeoutStopSec) and leaves the unit stopped:
    /// Restart=on-failure never restarts a unit stopped on request, whatever its exit status.
    /// </summary>
    public async Task StopAsync(ServiceStopRequest request, CancellationToken cancellationToken)
    {
        await RequireAsync(ServiceCommand.SystemctlUser("stop", Unit), cancellationToken);
        if (request.Disable)
        {
            await RequireAsync(ServiceCommand.SystemctlUser("disable", Unit), cancellationToken);
        }
    }

    /// <summary>stop (SIGTERM, drain, wait) then start, done by systemd in one job.</summary>
    public Task RestartAsync(CancellationToken cancellationToken) =>
        RequireAsync(ServiceCommand.SystemctlUser("restart", Unit), cancellationToken);

    public async Task<ServiceStatus?> StatusAsync(CancellationToken cancellationToken)
    {
        var installed = ReadInstalled();
        var result = await runner.RunAsync(ServiceCommand.SystemctlUser("show", Unit, "-p", SystemctlShow.Properties), cancellationToken);
        if (!result.Executed)
        {
            return null;
        }

        if (!result.Succeeded)
        {
            throw Failure(ServiceCommand.SystemctlUser("show", Unit), result);
        }

        var fields = SystemctlShow.Parse(result.StandardOutput);
        return new ServiceStatus(
            Unit,
            locations.DefinitionFile,
            installed is not null,
            fields.LoadState == "loaded",
            $"{fields.ActiveState} ({fields.SubState})",
            fields.MainPid,
            fields.ExecMainStatus,
            installed?.Database);
    }

    private async Task RequireAsync(ServiceCommand command, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.Executed && !result.Succeeded)
        {
            throw Failure(command, result);
        }
    }

    private static ServiceSetupException Failure(ServiceCommand command, CommandResult result) =>
        new($"'{command}' failed ({result.ExitCode}): {result.Message}" +
            (result.Message.Contains("Failed to connect to bus", StringComparison.Ordinal)
                ? ". systemctl --user needs your user manager: run it from a login session (not sudo/su), or keep one with `loginctl enable-linger $USER`."
                : ""));

    private InstalledProgram? ReadInstalled() =>
        File.Exists(locations.DefinitionFile)
            ? new InstalledProgram(SystemdUserUnit.ReadProgramArguments(File.ReadAllText(locations.DefinitionFile)))
            : null;
}
