using System.Net;
using PrivateVlm.Health;
using PrivateVlm.Tests.Support;
using PrivateVlm.Tests.Vlm.Stages;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>
/// The deep tier on allow-listed hosts that are not loopback by name (two GPU boxes running vLLM), one of them gone:
/// photos are described on the other and health names both. The host names are *.localhost, which resolve to this
/// machine (RFC 6761) but are not loopback to the egress guard, so they must be allow-listed like any remote host.
/// </summary>
public sealed class ScaleOutTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task With_one_of_two_allow_listed_deep_endpoints_down_photos_are_described_on_the_other_and_health_shows_both()
    {
        Assert.All(await Dns.GetHostAddressesAsync("gpu-a.localhost"), a => Assert.True(IPAddress.IsLoopback(a), $"gpu-a.localhost resolves to {a}"));
        await using var working = await FakeModelServerProcess.StartAsync("--dialect", "vllm", "--slots", "2");
        var gone = new Uri($"http://gpu-b.localhost:{FreePort.Pick()}/"); // nothing listens: a box that is off
        var alive = new Uri($"http://gpu-a.localhost:{working.BaseUri.Port}/");
        var settings = StageSettings.Tiers(null, alive, TimeSpan.FromSeconds(10), deepConcurrency: 2, retries: 3);
        settings["Tiers:Deep:Endpoints:0"] = gone.ToString(); // listed first: the router's tie-break would pick it
        settings["Tiers:Deep:Endpoints:1"] = alive.ToString();
        settings["Tiers:Deep:Model"] = "Qwen/Qwen2.5-VL-32B-Instruct";
        settings["Tiers:Deep:Resilience:BreakerMinimumThroughput"] = "2";
        settings["Tiers:Deep:Resilience:BreakDuration"] = "00:01:00";
        settings["Vlm:AllowedRemoteHosts:0"] = "gpu-a.localhost";
        settings["Vlm:AllowedRemoteHosts:1"] = "gpu-b.localhost";
        settings["Health:PollInterval"] = "00:00:00.200";
        await using var daemon = await InProcessDaemon.StartAsync(_library, settings);

        foreach (var photo in StageSettings.Jpegs(3))
        {
            _library.Drop(photo);
        }

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'deep'") == 3,
            "three deep results on the working endpoint", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
        Assert.Equal([alive.ToString()], _library.Query<string>("SELECT DISTINCT endpoint FROM vlm_results"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'deep' AND state = 'failed'"));

        await Eventually.AssertAsync(() => daemon.Health("deep")?.State == TierHealthState.Degraded, "deep degraded with one endpoint serving",
            TimeSpan.FromSeconds(20), () => daemon.Health("deep")?.ToString() ?? "none");
        var detail = daemon.Health("deep")!.Detail;
        Assert.Contains("1 of 2 endpoints serving", detail, StringComparison.Ordinal);
        Assert.Contains($"{alive} ready", detail, StringComparison.Ordinal);
        Assert.Contains($"{gone} down", detail, StringComparison.Ordinal);
        Assert.Contains("vllm", detail, StringComparison.Ordinal);
    }

    public void Dispose() => _library.Dispose();
}
