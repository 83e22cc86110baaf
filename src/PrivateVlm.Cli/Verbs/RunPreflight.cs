using Microsoft.Extensions.Configuration;
using PrivateVlm.Ingest;
using PrivateVlm.Service;
using PrivateVlm.Storage;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// What `run` checks before it creates or opens anything: the folder to watch, the database path and the drain time.
/// Each problem is one line naming the value and its fix (exit 2), instead of a stack trace from deep inside the host.
/// A missing folder is not created: a typo would silently watch an empty new folder, and a folder on a disk that is
/// not mounted (/Volumes/...) would be created on the internal disk in its place. Under launchd/systemd the exit 2 is
/// restarted every 30 s, so a disk mounted later is picked up by itself.
/// </summary>
internal static class RunPreflight
{
    public const string FirstRunExample = "mkdir -p ~/Pictures/Inbox && privatevlm run --watch ~/Pictures/Inbox";

    /// <summary>Null when the daemon can start on this configuration; otherwise the one line to print.</summary>
    public static string? Problem(IConfiguration configuration) =>
        WatchFolderProblem(configuration[$"{WatchOptions.Section}:{nameof(WatchOptions.Folder)}"])
        ?? DatabaseProblem(configuration[$"{DatabaseOptions.Section}:{nameof(DatabaseOptions.Path)}"])
        ?? ShutdownTimeoutProblem(configuration[RunVerb.ShutdownTimeoutKey]);

    private static string? WatchFolderProblem(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return $"no folder to watch: pass --watch DIR (for example `{FirstRunExample}`), or set Watch:Folder in appsettings.json / PRIVATEVLM__Watch__Folder.";
        }

        string folder;
        try
        {
            folder = WatchedRoot.Resolve(new WatchOptions { Folder = configured });
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return $"the folder to watch, '{configured}', is not a usable path: {e.Message}";
        }

        if (File.Exists(folder))
        {
            return $"{folder} is a file, not a folder: --watch takes the folder your photos are dropped into.";
        }

        if (!Directory.Exists(folder))
        {
            var disk = folder.StartsWith("/Volumes/", StringComparison.Ordinal) ? " Is its disk connected?" : "";
            return $"the folder to watch, {folder}, does not exist.{disk} Create it (mkdir -p {ShellWord.Quote(folder)}) or pass --watch with an existing folder.";
        }

        return FolderAccess.CheckFolder(folder) is { } access ? $"cannot watch {access}" : null;
    }

    private static string? DatabaseProblem(string? configured)
    {
        string database;
        try
        {
            database = DatabaseLocation.Resolve(new DatabaseOptions { Path = configured });
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            return $"the database path '{configured}' is not a usable path: {e.Message}";
        }

        return Directory.Exists(database)
            ? $"the database path {database} is a folder: give a file path such as {Path.Combine(database, "privatevlm.db")} (--db or Database:Path)."
            : null;
    }

    private static string? ShutdownTimeoutProblem(string? configured) =>
        TimeSpan.TryParse(configured, System.Globalization.CultureInfo.InvariantCulture, out var timeout) && timeout <= TimeSpan.Zero
            ? $"setting {RunVerb.ShutdownTimeoutKey} = '{configured}' must be above zero: it is how long SIGTERM waits for in-flight work."
            : null; // unparsable values are reported by the settings check with the binder's own words
}
