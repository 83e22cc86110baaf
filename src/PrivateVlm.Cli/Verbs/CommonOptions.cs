using System.CommandLine;

namespace PrivateVlm.Cli.Verbs;

/// <summary>Options several verbs share, so they read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string?> Database() => new("--db")
    {
        Description = "SQLite database file (default: ~/Library/Application Support/PrivateVlm/privatevlm.db on macOS, $XDG_DATA_HOME/privatevlm/privatevlm.db on Linux)",
    };

    public static Option<bool> Json(string what) => new("--json") { Description = $"Print {what} as JSON" };

    /// <summary>Flags mapped onto configuration keys; unset flags leave appsettings/environment values alone.</summary>
    public static Dictionary<string, string?> Flags(params (string Key, string? Value)[] flags) =>
        flags.ToDictionary(f => f.Key, f => f.Value);
}
