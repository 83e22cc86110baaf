namespace PrivateVlm.Service;

/// <summary>
/// The seam between deciding which launchctl/systemctl commands to run and running them: <see cref="ProcessCommandRunner"/>
/// starts real processes, <see cref="DryRunCommandRunner"/> prints and records the exact command lines instead.
/// </summary>
public interface IServiceCommandRunner
{
    Task<CommandResult> RunAsync(ServiceCommand command, CancellationToken cancellationToken);
}
