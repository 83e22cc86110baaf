using PrivateVlm.Configuration;

namespace PrivateVlm.Service;

/// <summary>
/// Where an installed service lives for one user: the launchd plist or systemd unit, the installed copy of the app,
/// and the folders the daemon writes to. All absolute, derived from <see cref="AppPaths"/> so a fake HOME moves all of it.
/// </summary>
public sealed record ServiceLocations(
    ServicePlatform Platform,
    string Home,
    string DefinitionFile,
    string AppDirectory,
    string LogDirectory,
    string DataDirectory,
    string DefaultDatabase)
{
    public const string LaunchdLabel = "org.privatevlm.daemon";
    public const string SystemdUnitName = "privatevlm.service";

    /// <summary>The apphost name of the CLI project (AssemblyName "privatevlm").</summary>
    public const string ApphostName = "privatevlm";

    /// <summary>
    /// Written into the app copy at install; uninstall deletes a directory only when it carries this file, so a mistaken
    /// --prefix can never make us delete somebody else's folder.
    /// </summary>
    public const string InstallMarkerName = ".privatevlm-installed-app";

    public string Apphost => Path.Combine(AppDirectory, ApphostName);

    /// <summary>
    /// The daemon's current directory: the data folder, so a relative path in its configuration means the same thing
    /// whoever started it.
    /// </summary>
    public string WorkingDirectory => DataDirectory;

    public static ServiceLocations For(ServicePlatform platform, Func<string, string?> environment, string? appDirectory = null)
    {
        var macOS = platform == ServicePlatform.Launchd;
        var paths = AppPaths.For(macOS, environment);
        var home = environment("HOME");
        if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home))
        {
            throw new ServiceSetupException("HOME is not set to an absolute path; the service files are per user and need it.");
        }

        // AppPaths already applies the XDG rules to the config folder ($XDG_CONFIG_HOME/privatevlm); systemd's user
        // unit folder is its sibling ($XDG_CONFIG_HOME/systemd/user).
        var definition = macOS
            ? Path.Combine(home, "Library", "LaunchAgents", LaunchdLabel + ".plist")
            : Path.Combine(Path.GetDirectoryName(paths.ConfigDirectory)!, "systemd", "user", SystemdUnitName);

        return new ServiceLocations(
            platform,
            home,
            definition,
            appDirectory ?? Path.Combine(paths.DataDirectory, "app"),
            paths.LogDirectory,
            paths.DataDirectory,
            paths.DefaultDatabase);
    }
}
