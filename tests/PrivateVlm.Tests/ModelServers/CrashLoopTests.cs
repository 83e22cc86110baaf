using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelServers;

public sealed class CrashLoopTests
{
    [Fact]
    public async Task A_server_that_exits_at_once_is_restarted_with_growing_backoff_while_the_daemon_keeps_running()
    {
        using var library = new TempLibrary();
        await using var daemon = await InProcessDaemon.StartAsync(library, new Dictionary<string, string?>
        {
            ["ModelServers:Quick:Command"] = "/bin/false",
            ["ModelServers:Quick:RestartBackoff:Initial"] = "00:00:00.100",
            ["ModelServers:Quick:RestartBackoff:Max"] = "00:00:00.800",
            ["Tiers:Quick:Endpoints:0"] = $"http://127.0.0.1:{FreePort.Pick()}",
            ["Health:PollInterval"] = "00:00:00.100",
        });
        var supervisor = daemon.Supervisor("quick");

        // Each restart leaves one snapshot in phase Exited for the whole backoff: record them by restart count.
        var waits = new SortedDictionary<int, ServerSnapshot>();
        var healthSeen = new HashSet<TierHealthState>();
        var clock = Stopwatch.StartNew();
        while (waits.Count < 6 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var snapshot = supervisor.Snapshot();
            if (snapshot.Phase == ServerPhase.Exited)
            {
                waits.TryAdd(snapshot.Restarts, snapshot);
            }

            if (daemon.Health("quick") is { } health)
            {
                healthSeen.Add(health.State);
            }

            await Task.Delay(10);
        }

        Assert.True(waits.Count >= 6, $"saw {waits.Count} restarts");
        var delays = waits.Values.Select(s => (s.NextStartAt!.Value - s.LastExitAt!.Value).TotalMilliseconds).ToList();
        // Doubling from 100 ms per restart, capped at 800 ms, judged by each snapshot's restart number: on a loaded
        // machine the 10 ms sampler can miss a short wait, which must not shift the expectations of the others.
        var firstRestart = waits.Keys.First();
        var firstDelay = Math.Round(delays[0]);
        Assert.Contains(firstDelay, new double[] { 100, 200, 400, 800 });
        foreach (var (restart, delay) in waits.Keys.Zip(delays))
        {
            Assert.Equal(Math.Min(firstDelay * Math.Pow(2, restart - firstRestart), 800), Math.Round(delay));
        }

        Assert.Contains(800, delays.Select(d => Math.Round(d)));
        Assert.All(waits.Values, s => Assert.Equal(1, s.LastExitCode));

        // The runs really waited: each started no earlier than the previous exit plus its backoff. (Start-to-start is not
        // a fair measure: under load a run's start is stamped after /bin/false may already have exited.) 15 ms allows for
        // the timer and the wall clock being different clocks.
        var snapshots = waits.Values.ToList();
        for (var i = 1; i < snapshots.Count; i++)
        {
            Assert.True(
                snapshots[i].StartedAt!.Value >= snapshots[i - 1].NextStartAt!.Value - TimeSpan.FromMilliseconds(15),
                $"run {i} started at {snapshots[i].StartedAt:O}, before its backoff ended at {snapshots[i - 1].NextStartAt:O}");
        }

        var lifetime = daemon.Services.GetRequiredService<IHostApplicationLifetime>();
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the daemon stopped because its model server crash-loops");
        Assert.Contains(TierHealthState.Down, healthSeen);
        Assert.DoesNotContain(TierHealthState.Ready, healthSeen);
    }
}
