namespace PrivateVlm.Storage;

/// <summary>Configuration section "Database".</summary>
public sealed record DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>The SQLite file; defaults to <see cref="Configuration.AppPaths.DefaultDatabase"/>.</summary>
    public string? Path { get; init; }

    /// <summary>How long one statement waits for a lock held by someone else (a user in sqlite3) before the
    /// daemon's own retry loop takes over and keeps waiting.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Optional cap on the database size; writes past it pause exactly as on a full disk.</summary>
    public double? MaxSizeMegabytes { get; init; }
}
