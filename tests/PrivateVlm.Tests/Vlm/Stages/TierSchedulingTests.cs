using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Stages;

namespace PrivateVlm.Tests.Vlm.Stages;

/// <summary>New photos' quick passes do not wait behind a deep backlog, even when both tiers share one server.</summary>
public sealed class TierSchedulingTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [Fact]
    public void Deep_leaves_a_quick_slot_free_on_a_shared_server()
    {
        var shared = TierOptions.QuickDefaults with { Endpoints = ["http://127.0.0.1:8086"], Concurrency = 4 };
        var deep = TierOptions.DeepDefaults with { Endpoints = ["http://127.0.0.1:8086"], Concurrency = 4 };
        Assert.Equal((5, 3), VisionStagePolicy.Concurrency(shared, deep, quickEnabled: true));
        Assert.Equal((3, 1), VisionStagePolicy.Concurrency(shared with { Concurrency = 2 }, deep with { Concurrency = 2 }, quickEnabled: true));
        // Separate servers: each tier uses its own slots (two deep endpoints double them) plus one worker preparing ahead.
        Assert.Equal((5, 5), VisionStagePolicy.Concurrency(shared, deep with { Concurrency = 2, Endpoints = ["http://127.0.0.1:8080", "http://127.0.0.1:8081"] }, quickEnabled: true));
        // With the quick tier off, deep may use every slot of the server.
        Assert.Equal(5, VisionStagePolicy.Concurrency(shared, deep, quickEnabled: false).Deep);
        // The time limit covers two calls that each run every retry to the per-attempt timeout.
        var policy = VisionStagePolicy.For(TierOptions.DeepDefaults, 1, TimeSpan.FromSeconds(20));
        Assert.True(policy.TimeLimit > TierOptions.DeepDefaults.Timeout * 2 * (TierOptions.DeepDefaults.Resilience.RetryAttempts + 1));
        Assert.True(policy.Lease > policy.TimeLimit);
    }

    [CorpusFact]
    public async Task A_new_photo_gets_its_quick_row_while_a_deep_backlog_is_in_flight()
    {
        const int serviceMs = 1500;
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", serviceMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(server.BaseUri, server.BaseUri, quickConcurrency: 2, deepConcurrency: 2));
        var stages = daemon.Services.GetRequiredService<StageCatalog>();
        Assert.Equal(3, stages["quick"].Policy.Concurrency);
        Assert.Equal(1, stages["deep"].Policy.Concurrency);

        var photos = StageSettings.Jpegs(5);
        foreach (var photo in photos.Take(4))
        {
            _library.Drop(photo);
        }

        // Deep backlog: four photos at 1.5 s each through one deep worker = ~6 s of deep work.
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'deep' AND state = 'running'") == 1
                                           && _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") == 4,
            "quick done for the first four and a deep job in flight", TimeSpan.FromSeconds(30), () => StageSettings.Dump(_library));
        var clock = Stopwatch.StartNew();
        var dropped = _library.Drop(photos[4]);
        await Eventually.AssertAsync(
            () => _library.CountOrZero($"SELECT count(*) FROM vlm_results r JOIN files f ON f.photo_id = r.photo_id WHERE r.tier = 'quick' AND f.path = '{dropped.Replace("'", "''")}'") == 1,
            "the new photo's quick row", TimeSpan.FromSeconds(30));
        var waited = clock.Elapsed;
        var deepLeft = _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'deep' AND state <> 'done'");

        // Stability window 0.3 s + L0 + one 1.5 s call, not the ~6 s of deep work still queued.
        Assert.True(waited < TimeSpan.FromMilliseconds(serviceMs * 2 + 1000), $"quick row after {waited.TotalMilliseconds:F0} ms");
        Assert.True(deepLeft >= 2, $"only {deepLeft} deep jobs left: the backlog was not in the way");
    }

    public void Dispose() => _library.Dispose();
}
