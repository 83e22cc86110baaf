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
}
