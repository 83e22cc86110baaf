using Microsoft.Data.Sqlite;
using PrivateVlm.Health;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Viewer.Library;

/// <summary>
/// The status page's facts: <see cref="PipelineStatus"/> (the same numbers `privatevlm status` prints), the tiers'
/// health as the daemon last wrote it, and whether the daemon is writing at all.
/// </summary>
public sealed record LibraryStatus(PipelineStatus Pipeline, IReadOnlyList<TierHealth> Tiers, DateTimeOffset ReadAt)
{
    /// <summary>The daemon rewrites tier_health every couple of seconds; rows older than this describe the past.</summary>
    public static readonly TimeSpan HealthStaleAfter = TimeSpan.FromSeconds(15);

    public bool DaemonSeemsRunning => Tiers.Count > 0 && Tiers.Max(t => t.UpdatedAt) >= ReadAt - HealthStaleAfter;

    public static LibraryStatus Read(SqliteConnection connection, TimeProvider time, IReadOnlyList<UnconfiguredStage> notConfigured) =>
        new(PipelineStatus.Read(connection, time, errorCount: 10) with { NotConfigured = notConfigured },
            TierHealthTable.Read(connection),
            time.GetUtcNow());
}
