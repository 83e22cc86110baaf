namespace PrivateVlm.Tests.Cli;

/// <summary>
/// A new user's machine as far as privatevlm can tell: an empty HOME whose XDG folders point inside it, no database,
/// no model, no ~/Pictures/Inbox. Verbs run as real processes against it.
/// </summary>
internal sealed class FreshHome : IDisposable
{
    public FreshHome()
    {
        Home = Path.Combine(Path.GetTempPath(), "privatevlm-home-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Home);
    }

    public string Home { get; }

    /// <summary>Where the per-user database would be on Linux: $XDG_DATA_HOME/privatevlm/privatevlm.db.</summary>
    public string DefaultDatabase => Path.Combine(Home, ".local", "share", "privatevlm", "privatevlm.db");

    /// <summary>What a verb's environment holds on this machine; <paramref name="settings"/> adds PRIVATEVLM__* values.</summary>
    public Dictionary<string, string> Environment(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = Home,
            ["XDG_DATA_HOME"] = Path.Combine(Home, ".local", "share"),
            ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
            ["XDG_STATE_HOME"] = Path.Combine(Home, ".local", "state"),
            ["XDG_CACHE_HOME"] = Path.Combine(Home, ".cache"),
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>Everything the verb left under HOME, relative to it.</summary>
    public IReadOnlyList<string> Contents() =>
        Directory.EnumerateFileSystemEntries(Home, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(Home, p)).Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is not a test failure.
        }
    }
}
