namespace PrivateVlm.Service;

/// <summary>
/// The verbs of `privatevlm service`, implemented once per service manager: <see cref="LaunchAgentController"/> (macOS)
/// and <see cref="SystemdUserUnitController"/> (Linux).
/// </summary>
public interface IServiceController
{
    ServiceLocations Locations { get; }

    /// <summary>Copies the app, writes the plist/unit, creates the folders, and starts the daemon.</summary>
    Task InstallAsync(ServiceDefinition definition, string sourceDirectory, CancellationToken cancellationToken);

    /// <summary>Stops and removes the job and (unless kept) the app copy. Data and logs only with <paramref name="purgeData"/>.</summary>
    Task UninstallAsync(bool keepApp, bool purgeData, CancellationToken cancellationToken);

    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops now; with <paramref name="disable"/> it also stays down at the next login until start.</summary>
    Task StopAsync(bool disable, CancellationToken cancellationToken);

    Task RestartAsync(CancellationToken cancellationToken);

    /// <summary>Null in a dry run, where the query command is printed instead of run.</summary>
    Task<ServiceStatus?> StatusAsync(CancellationToken cancellationToken);
}
