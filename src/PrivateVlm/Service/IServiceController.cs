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

    /// <summary>Starts the daemon; loads the job/unit first only when it is not loaded.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// SIGTERM through the service manager and waits for the daemon to exit; the job stays loaded unless the request
    /// says otherwise, so it stays down only until a start (raw or ours) or the next login.
    /// </summary>
    Task StopAsync(ServiceStopRequest request, CancellationToken cancellationToken);

    /// <summary>A stop that waits for the drain, then a start: never a SIGKILL of in-flight work.</summary>
    Task RestartAsync(CancellationToken cancellationToken);

    /// <summary>Null in a dry run, where the query command is printed instead of run.</summary>
    Task<ServiceStatus?> StatusAsync(CancellationToken cancellationToken);
}
