namespace PrivateVlm.Service;

/// <summary>Prints each command line instead of running it (`--dry-run`), and keeps them for tests.</summary>
public sealed class DryRunCommandRunner(TextWriter output) : IServiceCommandRunner
{
    private readonly List<ServiceCommand> _commands = [];

    public IReadOnlyList<ServiceCommand> Commands => _commands;

    public Task<CommandResult> RunAsync(ServiceCommand command, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _commands.Add(command);
        output.WriteLine(command.ToString());
        return Task.FromResult(CommandResult.NotExecuted);
    }
}
