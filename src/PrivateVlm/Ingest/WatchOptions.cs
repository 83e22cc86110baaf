namespace PrivateVlm.Ingest;

/// <summary>Configuration section "Watch".</summary>
public sealed record WatchOptions
{
    public const string Section = "Watch";

    /// <summary>The folder to watch (recursively). Required to run the daemon.</summary>
    public string? Folder { get; init; }

    /// <summary>A file is read only after its size and mtime stayed the same for this long (half-copied files).</summary>
    public TimeSpan StabilityWindow { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Full reconciliation scan period, on top of the scans at start-up and after every watcher error.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Files hashed in parallel.</summary>
    public int HashConcurrency { get; init; } = 2;

    /// <summary>
    /// Watcher events held while they wait to be looked at. A burst beyond it (thousands of files at once) is an
    /// overflow like the kernel's own: the events are dropped and the whole folder is rescanned, so memory stays
    /// bounded and nothing is missed.
    /// </summary>
    public int EventBacklog { get; init; } = 4096;
}
