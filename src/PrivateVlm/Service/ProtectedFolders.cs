namespace PrivateVlm.Service;

/// <summary>
/// macOS privacy (TCC) locations a LaunchAgent cannot read without the user's consent. Reading them from Terminal works
/// because Terminal holds its own grant, which is why the failure only shows once the daemon runs under launchd (EPERM).
/// </summary>
public static class ProtectedFolders
{
    /// <summary>A warning to print at install when <paramref name="watchFolder"/> needs Full Disk Access, else null.</summary>
    public static string? Explain(string watchFolder, string home, string apphost)
    {
        var reason = Classify(watchFolder, home);
        return reason is null
            ? null
            : $"note: {watchFolder} is {reason}, which macOS protects. Under launchd the daemon gets EPERM (\"Operation not permitted\") there " +
              $"until you add {apphost} in System Settings > Privacy & Security > Full Disk Access. Sign it with a stable identity first: " +
              "an ad-hoc signature changes on every rebuild and the grant is lost. See launchd/README.md.";
    }

    private static string? Classify(string folder, string home)
    {
        bool Under(params string[] parts)
        {
            var root = Path.Combine([home, .. parts]);
            return folder == root || folder.StartsWith(root + "/", StringComparison.Ordinal);
        }

        if (Under("Desktop"))
        {
            return "in ~/Desktop";
        }

        if (Under("Documents"))
        {
            return "in ~/Documents";
        }

        if (Under("Downloads"))
        {
            return "in ~/Downloads";
        }

        if (Under("Library", "Mobile Documents") || Under("Library", "CloudStorage"))
        {
            return "in iCloud Drive or a cloud-storage folder";
        }

        if (folder.Contains(".photoslibrary", StringComparison.OrdinalIgnoreCase))
        {
            return "inside a Photos library package";
        }

        if (folder.StartsWith("/Volumes/", StringComparison.Ordinal))
        {
            return "on a removable or network volume";
        }

        return null;
    }
}
