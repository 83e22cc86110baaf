namespace PrivateVlm.Service;

/// <summary>
/// Every value that goes into the launchd plist or the systemd unit. Paths are absolute by construction
/// (<see cref="UserPath"/>); the renderers never see `~` or `$HOME`.
/// </summary>
public sealed record ServiceDefinition(
    string Apphost,
    string WatchFolder,
    string Database,
    string WorkingDirectory,
    string LogDirectory,
    ServiceProcessType ProcessType,
    TimeSpan ShutdownTimeout)
{
    /// <summary>The Generic Host's HostOptions.ShutdownTimeout default; the daemon drains its writes within it.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Launchd's ExitTimeOut / systemd's TimeoutStopSec: SIGTERM to SIGKILL. Must exceed the host's shutdown timeout or
    /// the last database writes get killed; 15 s covers process teardown after the host gives up (30 s -> 45 s).
    /// </summary>
    public int StopTimeoutSeconds => StopTimeoutFor(ShutdownTimeout);

    /// <summary>The same rule for an installed job, whose drain time is read back from its arguments.</summary>
    public static int StopTimeoutFor(TimeSpan shutdownTimeout) => (int)Math.Ceiling(shutdownTimeout.TotalSeconds) + 15;

    /// <summary>
    /// Minimum time between two starts (ThrottleInterval / RestartSec). 30 s instead of launchd's 10: a crash that
    /// repeats should leave readable logs and free model-server ports, not spin; nothing is lost while it waits.
    /// </summary>
    public int RestartDelaySeconds { get; init; } = 30;

    /// <summary>Soft open-file limit (launchd's default is 256): SQLite WAL, watcher, model files and HTTP sockets add up.</summary>
    public int OpenFilesLimit { get; init; } = 4096;

    /// <summary>
    /// PATH for the daemon: a service does not inherit the login shell's. Homebrew's prefixes come first on macOS so the
    /// daemon finds llama-server (Apple silicon /opt/homebrew, Intel /usr/local).
    /// </summary>
    public string SearchPath { get; init; } = "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

    /// <summary>Whole seconds the daemon may drain for; passed to it so the service manager's stop timeout and the
    /// daemon's own cannot drift apart.</summary>
    public int ShutdownTimeoutSeconds => (int)Math.Ceiling(ShutdownTimeout.TotalSeconds);

    public IReadOnlyList<string> ProgramArguments =>
        [Apphost, "run", "--watch", WatchFolder, "--db", Database, "--shutdown-timeout", ShutdownTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    public string StandardOutPath => Path.Combine(LogDirectory, "daemon.out.log");

    public string StandardErrorPath => Path.Combine(LogDirectory, "daemon.err.log");

    /// <summary>
    /// Folders install creates, in this order, each once: logs first (launchd opens StandardOutPath but does not create
    /// its folder), then the database folder, the working directory and the folder of the plist/unit itself.
    /// </summary>
    public IReadOnlyList<string> FoldersToCreate(string definitionFile) =>
        new[] { LogDirectory, Path.GetDirectoryName(Database)!, WorkingDirectory, Path.GetDirectoryName(definitionFile)! }.Distinct().ToList();
}
