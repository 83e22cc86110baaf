namespace PrivateVlm.Service;

/// <summary>
/// The command line recorded in an installed plist/unit. Status and uninstall read it so they act on the app copy and
/// database the job really uses, without the user repeating --prefix or --db.
/// </summary>
public sealed record InstalledProgram(IReadOnlyList<string> Arguments)
{
    public string? Apphost => Arguments.Count > 0 ? Arguments[0] : null;

    public string? AppDirectory => Apphost is null ? null : Path.GetDirectoryName(Apphost);

    public string? Database => ValueOf("--db");

    public string? WatchFolder => ValueOf("--watch");

    /// <summary>The drain time the job was given (--shutdown-timeout), so stop waits as long as the service manager would.</summary>
    public TimeSpan? ShutdownTimeout =>
        int.TryParse(ValueOf("--shutdown-timeout"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private string? ValueOf(string option)
    {
        for (var i = 0; i < Arguments.Count - 1; i++)
        {
            if (Arguments[i] == option)
            {
                return Arguments[i + 1];
            }
        }

        return null;
    }
}
