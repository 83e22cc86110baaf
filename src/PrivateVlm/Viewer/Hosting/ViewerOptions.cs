using PrivateVlm.Configuration;

namespace PrivateVlm.Viewer.Hosting;

/// <summary>The "Viewer" configuration section: the web viewer the daemon can serve, and its picture cache.</summary>
public sealed record ViewerOptions
{
    public const string Section = "Viewer";

    /// <summary>The daemon serves the viewer at http://127.0.0.1:PORT/ when set; off when absent. (`privatevlm view`
    /// serves the same pages without the daemon, on its own --port.)</summary>
    public int? Port { get; init; }

    /// <summary>Where rendered thumbnails and previews are kept; default the per-user cache folder's "thumbnails".</summary>
    public string? CacheFolder { get; init; }

    /// <summary>Size cap of that folder; past it the least recently used pictures are deleted.</summary>
    public int CacheMegabytes { get; init; } = 512;

    public string ResolveCacheFolder(AppPaths paths) => CacheFolder ?? Path.Combine(paths.CacheDirectory, "thumbnails");
}
