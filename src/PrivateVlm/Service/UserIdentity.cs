using System.Diagnostics;

namespace PrivateVlm.Service;

/// <summary>
/// The numeric user id for launchd's gui/&lt;uid&gt; domain. Read with `id -u` rather than a libc call: it is the same
/// command the README and install.sh use, and it keeps native calls out of this folder.
/// </summary>
public static class UserIdentity
{
    public static async Task<string> CurrentUserIdAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("id") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-u");
        using var process = Process.Start(start) ?? throw new ServiceSetupException("Could not run 'id -u'.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var text = (await process.StandardOutput.ReadToEndAsync(timeout.Token)).Trim();
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0 || text.Length == 0 || !text.All(char.IsAsciiDigit))
        {
            throw new ServiceSetupException($"'id -u' did not print a user id (exit {process.ExitCode}: '{text}').");
        }

        return text;
    }
}
