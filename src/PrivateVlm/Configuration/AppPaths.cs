namespace PrivateVlm.Configuration;

/// <summary>
/// Where PrivateVlm keeps its files for the current user. macOS follows Apple's ~/Library conventions, Linux the XDG
/// base directories. HOME and the XDG variables are read through <see cref="Environment"/> at call time so tests can
/// point them at a fake home.
/// </summary>
public sealed record AppPaths(string DataDirectory, string LogDirectory, string CacheDirectory, string ConfigDirectory)
{
    public const string AppName = "PrivateVlm";

    public string DefaultDatabase => Path.Combine(DataDirectory, "privatevlm.db");

    /// <summary>Default folder for CLIP models (Immich layout, one sub-folder per model).</summary>
    public string ModelsDirectory => Path.Combine(DataDirectory, "models");

    public static AppPaths ForCurrentUser() => For(OperatingSystem.IsMacOS(), Environment.GetEnvironmentVariable);

    public static AppPaths For(bool macOS, Func<string, string?> environment)
    {
        var home = environment("HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        if (macOS)
        {
            var library = Path.Combine(home, "Library");
            return new AppPaths(
                DataDirectory: Path.Combine(library, "Application Support", AppName),
                LogDirectory: Path.Combine(library, "Logs", AppName),
                CacheDirectory: Path.Combine(library, "Caches", AppName),
                ConfigDirectory: Path.Combine(library, "Application Support", AppName));
        }

        string Xdg(string variable, string fallback)
        {
            var value = environment(variable);
            // The XDG spec says relative values are invalid and must be ignored.
            return !string.IsNullOrEmpty(value) && Path.IsPathRooted(value) ? value : Path.Combine(home, fallback);
        }

        const string name = "privatevlm";
        return new AppPaths(
            DataDirectory: Path.Combine(Xdg("XDG_DATA_HOME", ".local/share"), name),
            LogDirectory: Path.Combine(Xdg("XDG_STATE_HOME", ".local/state"), name),
            CacheDirectory: Path.Combine(Xdg("XDG_CACHE_HOME", ".cache"), name),
            ConfigDirectory: Path.Combine(Xdg("XDG_CONFIG_HOME", ".config"), name));
    }
}
