using Microsoft.Extensions.Logging.Abstractions;
using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Tests.Health;

/// <summary>
/// An external server whose /health is fine but whose completions never answer is not "starting" for the two minutes
/// the warm-up may take: once the warm-up has been silent for longer than the tier allows a whole photo, it is degraded.
/// </summary>
public sealed class SilentWarmUpTests
{
    [Fact]
    public async Task A_warm_up_silent_past_the_tiers_time_limit_makes_the_tier_degraded_not_starting()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--fault", "hang");
        using var library = new TempLibrary();
        var clock = new ManualClock();
        var database = MigratedDatabase.Create(library.DatabasePath, TimeSpan.FromSeconds(1), clock);

        var options = TierOptions.QuickDefaults with { Endpoints = [server.BaseUri.ToString()], Model = "m", Timeout = TimeSpan.FromSeconds(30) };
        var monitor = new TierHealthMonitor(
            [new WatchedTier("quick", new TierEnablement.Decision(true, "test"), options, null)],
            new ModelServerProbe(ModelServerProbe.CreateHttpClient()), new EndpointCircuits(clock), new PhotoEgressGuard([]),
            database, clock, new HealthOptions(), NullLogger<TierHealthMonitor>.Instance);
        using var stop = new CancellationTokenSource();

        await monitor.PollAsync(stop.Token);
        var pending = monitor.Current["quick"];
        clock.Advance(TimeSpan.FromSeconds(31));
        await monitor.PollAsync(stop.Token);
        var silent = monitor.Current["quick"];
        await stop.CancelAsync(); // ends the warm-up still waiting on the hung server

        Assert.Equal(TierHealthState.Starting, pending.State);
        Assert.Equal(TierHealthState.Degraded, silent.State);
        Assert.Contains("warm-up completion has given no answer for 31 s", silent.Detail, StringComparison.Ordinal);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
