using System.Diagnostics;
using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>
/// A supervised fake llama-server started by the daemon itself: refuses connections for 2 s, then answers 503
/// "Loading model" for 4 s, then is ready. Health is sampled all the way through.
/// </summary>
public sealed class ColdStartTests
{
    private static readonly TimeSpan Sample = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_loading_server_is_starting_never_down_then_ready_and_after_a_kill_down_starting_ready_and_gone_after_shutdown()
    {
        using var library = new TempLibrary();
        var port = FreePort.Pick();
        var daemon = await InProcessDaemon.StartAsync(library,
            SupervisedServers.FakeServer("Quick", port, "--refuse-seconds", "2", "--load-seconds", "4"));
        int secondPid;
        try
        {
            // Cold start: every sample is "starting" until the first "ready".
            var coldStart = await SampleUntilReadyAsync(daemon);
            // How many samples fit in the start-up depends on machine load; what matters is that both loading phases
            // were seen, and every one of them as "starting".
            Assert.All(coldStart.SkipLast(1), s => Assert.Equal(TierHealthState.Starting, s.State));
            Assert.Contains(coldStart, s => s.Detail.Contains("connection refused", StringComparison.Ordinal));
            Assert.Contains(coldStart, s => s.Detail.Contains("503", StringComparison.Ordinal));
            var first = daemon.Supervisor("quick").Snapshot();
            Assert.Equal(ServerPhase.Ready, first.Phase);
            Assert.Equal(first.ProcessId, coldStart[^1].ProcessId);
            Assert.Equal("ready", library.Scalar<string>("SELECT state FROM tier_health WHERE tier = 'quick'"));
            Assert.Equal("disabled", library.Scalar<string>("SELECT state FROM tier_health WHERE tier = 'deep'"));

            var (exitCode, output) = await DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(30), "health", "--db", library.DatabasePath);
            Assert.True(exitCode == 0, output);

            // SIGKILL (as the OOM killer would): down while the restart backoff runs, starting while it loads, ready.
            using (var server = Process.GetProcessById(first.ProcessId!.Value))
            {
                server.Kill();
            }

            var afterKill = await SampleUntilReadyAsync(daemon, requireNewProcessOf: first.ProcessId);
            var sequence = Collapse(afterKill.Select(s => s.State));
            Assert.True(
                sequence.SequenceEqual([TierHealthState.Down, TierHealthState.Starting, TierHealthState.Ready])
                || sequence.SequenceEqual([TierHealthState.Ready, TierHealthState.Down, TierHealthState.Starting, TierHealthState.Ready]),
                "after the kill: " + string.Join(" -> ", afterKill.Select(s => $"{s.State} ({s.Detail})")));
            Assert.Contains(afterKill, s => s.State == TierHealthState.Down && s.Detail.Contains("137", StringComparison.Ordinal));
            var second = daemon.Supervisor("quick").Snapshot();
            Assert.Equal(1, second.Restarts);
            Assert.Equal(137, second.LastExitCode);
            Assert.NotEqual(first.ProcessId, second.ProcessId);
            secondPid = second.ProcessId!.Value;
            Assert.True(SupervisedServers.IsRunning(secondPid));
        }
        finally
        {
            await daemon.DisposeAsync();
        }

        Assert.False(SupervisedServers.IsRunning(secondPid), $"the supervised server {secondPid} outlived the daemon");
    }

    private static async Task<List<TierHealth>> SampleUntilReadyAsync(InProcessDaemon daemon, int? requireNewProcessOf = null)
    {
        var samples = new List<TierHealth>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Bound)
        {
            if (daemon.Health("quick") is { } health)
            {
                samples.Add(health);
                if (health.State == TierHealthState.Ready && (requireNewProcessOf is null || health.ProcessId != requireNewProcessOf))
                {
                    return samples;
                }
            }

            await Task.Delay(Sample);
        }

        Assert.Fail($"not ready within {Bound}: " + string.Join(" -> ", Collapse(samples.Select(s => s.State))) + $"; last: {samples.LastOrDefault()?.Detail}");
        return samples;
    }

    private static List<TierHealthState> Collapse(IEnumerable<TierHealthState> states)
    {
        var collapsed = new List<TierHealthState>();
        foreach (var state in states)
        {
            if (collapsed.Count == 0 || collapsed[^1] != state)
            {
                collapsed.Add(state);
            }
        }

        return collapsed;
    }
}
