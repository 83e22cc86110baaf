using PrivateVlm.Configuration;
using PrivateVlm.Ingest;

namespace PrivateVlm.Storage;

public static class DatabaseLocation
{
    /// <summary>The configured database path (with ~ expanded), else the per-user default.</summary>
    public static string Resolve(DatabaseOptions options) =>
        string.IsNullOrWhiteSpace(options.Path)
            ? AppPaths.ForCurrentUser().DefaultDatabase
            : Path.GetFullPath(WatchedRoot.ExpandHome(options.Path));
}
