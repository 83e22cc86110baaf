using System.ComponentModel;
using System.Diagnostics;

namespace PrivateVlm.Service;

/// <summary>Runs launchctl/systemctl for real, echoing each command line first so the user sees what changed.</summary>
public sealed class ProcessCommandRunner(TextWriter output) : IServiceCommandRunner
{
    /// <summary>bootout waits for the daemon to exit, which may take the whole ExitTimeOut; beyond that something hangs.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public async Task<CommandResult> RunAsync(ServiceCommand command, CancellationToken cancellationToken)
    {
        output.WriteLine(command.ToString());
        var start = new ProcessStartInfo(command.Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new ServiceSetupException($"Could not run {command.Program}: {e.Message}. Is this the right platform (--platform)?");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return new CommandResult(true, process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new ServiceSetupException($"'{command}' did not finish within {Limit.TotalSeconds:0} s.");
        }
    }
}
