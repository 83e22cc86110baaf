namespace PrivateVlm.Ingest;

/// <summary>Resolves the configured folder to the absolute, symlink-free path every other path is compared with.</summary>
public static class WatchedRoot
{
    public static string Resolve(WatchOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Folder))
        {
            throw new InvalidOperationException("No folder to watch: pass --watch DIR or set Watch__Folder.");
        }

        var full = Path.GetFullPath(ExpandHome(options.Folder));
        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            full = target.FullName;
        }

        return Path.TrimEndingDirectorySeparator(full);
    }

    public static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.TrimStart('~', '/'))
            : path;
}
