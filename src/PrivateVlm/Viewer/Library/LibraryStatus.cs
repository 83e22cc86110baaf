using Microsoft.Data.Sqlite;
using PrivateVlm.Health;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Viewer.Library;

/// <summary>
/// The status page's facts: <see cref="PipelineStatus"/> (the same numbers `privatevlm status` prints), the tiers'
/// health as the daemon last wrote it, and whether a daemon runs on this database (its lock file, see
/// <see cref="DaemonPresence"/>): without one, the tier rows describe the moment it stopped.
/// </summary>
public sealed record LibraryStatus(PipelineStatus Pipeline, IReadOnlyList<TierHealth> Tiers, bool DaemonRunning, DateTimeOffset ReadAt)
{
    public static LibraryStatus Read(
        SqliteConnection connection, string databasePath, TimeProvider time, IReadOnlyList<UnconfiguredStage> notConfigured) =>
        new(PipelineStatus.Read(connection, time, errorCount: 10) with { NotConfigured = notConfigured },
            TierHealthTable.Read(connection),
            DaemonPresence.IsRunning(databasePath),
            time.GetUtcNow());
}
