using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Health;

/// <summary>
/// What `privatevlm health` reports, read from the database alone: each tier's row of tier_health, whether the
/// daemon runs and keeps the rows fresh, and the exit code: 0 healthy (every enabled tier ready or busy), 1 degraded
/// (a tier starting or degraded, or the daemon has not reported yet), 2 unhealthy (a tier down, or no daemon).
/// </summary>
public sealed record HealthReport(string Status, int ExitCode, bool DaemonRunning, string? Problem, IReadOnlyList<TierHealth> Tiers)
{
    /// <summary>Rows older than this were not refreshed by a daemon (it polls every 2 s).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(15);

    public const int Healthy = 0;
    public const int Degraded = 1;
    public const int Unhealthy = 2;

    public static HealthReport Read(LibraryDatabase database, TimeProvider time)
    {
        IReadOnlyList<TierHealth> tiers;
        using (var connection = database.OpenReadOnly())
        {
            tiers = TierHealthTable.Read(connection);
        }

        return Judge(tiers, DaemonPresence.IsRunning(database.FilePath), time.GetUtcNow());
    }

    public static HealthReport Judge(IReadOnlyList<TierHealth> tiers, bool daemonRunning, DateTimeOffset now)
    {
        if (!daemonRunning)
        {
            return new HealthReport("unhealthy", Unhealthy, false,
                "daemon not running: no process holds the database lock; the states below are the last ones it recorded", tiers);
        }

        if (tiers.Count == 0)
        {
            return new HealthReport("degraded", Degraded, true, "the daemon has not reported tier health yet (just started?)", tiers);
        }

        // Disabled tiers are decided by configuration at start-up and never re-polled: only live ones can go stale.
        var live = tiers.Where(t => t.State != TierHealthState.Disabled).ToList();
        var oldest = live.Count > 0 ? live.Min(t => t.UpdatedAt) : now;
        if (now - oldest > StaleAfter)
        {
            return new HealthReport("unhealthy", Unhealthy, true,
                $"daemon not updating health: the newest report is {TierHealthRules.Duration(now - oldest)} old (is it stuck?)", tiers);
        }

        if (tiers.Any(t => t.State == TierHealthState.Down))
        {
            return new HealthReport("unhealthy", Unhealthy, true, null, tiers);
        }

        return tiers.Any(t => t.State is TierHealthState.Starting or TierHealthState.Degraded)
            ? new HealthReport("degraded", Degraded, true, null, tiers)
            : new HealthReport("healthy", Healthy, true, null, tiers);
    }
}
