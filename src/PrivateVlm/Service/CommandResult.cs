namespace PrivateVlm.Service;

/// <summary>What a service command did. A dry run executes nothing, so callers must not read state from it.</summary>
public sealed record CommandResult(bool Executed, int ExitCode, string StandardOutput, string StandardError)
{
    public static readonly CommandResult NotExecuted = new(false, 0, "", "");

    public bool Succeeded => Executed && ExitCode == 0;

    /// <summary>launchctl and systemctl print their reason on stderr; some launchctl versions use stdout.</summary>
    public string Message => (StandardError.Trim().Length > 0 ? StandardError : StandardOutput).Trim();
}
