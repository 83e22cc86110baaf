using System.Net;
using PrivateVlm.Health;
using PrivateVlm.Tests.Support;
using PrivateVlm.Tests.Vlm.Stages;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>
/// The deep tier on two endpoints (GPU boxes running vLLM), one of them gone: photos are described on the other and
/// health names both. With a host name that resolves to 127.0.0.1 but is not loopback to the egress guard (a name could
/// resolve anywhere), the endpoints must be allow-listed like any remote host; the two "boxes" are two ports of it.
/// </summary>
public sealed class ScaleOutTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [HostNameOnLoopbackFact]
    public Task With_one_of_two_allow_listed_deep_endpoints_down_photos_are_described_on_the_other_and_health_shows_both() =>
        RunAsync(HostNameOnLoopbackFactAttribute.HostName!);

    /// <summary>The same on 127.0.0.1, so the pool's behaviour is checked on machines without such a host name.</summary>
    [CorpusFact]
    public Task With_one_of_two_loopback_deep_endpoints_down_photos_are_described_on_the_other_and_health_shows_both() =>
        RunAsync("127.0.0.1");

    private async Task RunAsync(string host)
    {
        await using var working = await FakeModelServerProcess.StartAsync("--dialect", "vllm", "--slots", "2");
        var gone = new Uri($"http://{host}:{FreePort.Pick()}/"); // nothing listens: a box that is off
        var alive = new Uri($"http://{host}:{working.BaseUri.Port}/");
        var settings = StageSettings.Tiers(null, alive, TimeSpan.FromSeconds(10), deepConcurrency: 2, retries: 3);
        settings["Tiers:Deep:Endpoints:0"] = gone.ToString(); // listed first: the router's tie-break would pick it
        settings["Tiers:Deep:Endpoints:1"] = alive.ToString();
        settings["Tiers:Deep:Model"] = "Qwen/Qwen2.5-VL-32B-Instruct";
        settings["Tiers:Deep:Resilience:BreakerMinimumThroughput"] = "2";
        settings["Tiers:Deep:Resilience:BreakDuration"] = "00:01:00";
        if (host != "127.0.0.1")
        {
            Assert.False(PrivateVlm.Vlm.Egress.PhotoEgressGuard.IsLoopback(alive), $"{host} counts as loopback: the allow-list would not be exercised");
            settings["Vlm:AllowedRemoteHosts:0"] = host;
        }
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

/// <summary>Needs the corpus and a host name from /etc/hosts, other than localhost, that resolves to 127.0.0.1 only
/// (where the fake servers listen); skipped with the reason otherwise (a stock Debian or macOS /etc/hosts has none:
/// the machine's own name resolves to its interface addresses as well).</summary>
public sealed class HostNameOnLoopbackFactAttribute : FactAttribute
{
    public HostNameOnLoopbackFactAttribute()
    {
        if (!Corpus.IsPresent)
        {
            Skip = Corpus.AbsentMessage;
        }
        else if (HostName is null)
        {
            Skip = "no name in /etc/hosts other than localhost resolves to 127.0.0.1 only: no host that is loopback but not by name";
        }
    }

    public static string? HostName { get; } = Find();

    private static string? Find()
    {
        var lines = File.Exists("/etc/hosts") ? File.ReadAllLines("/etc/hosts") : [];
        var names = lines
            .Select(l => l.Split('#')[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 1 && f[0] == "127.0.0.1")
            .SelectMany(f => f.Skip(1))
            .Where(n => !n.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !n.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase));
        foreach (var name in names)
        {
            try
            {
                var addresses = Dns.GetHostAddresses(name);
                if (addresses.Length > 0 && addresses.All(a => a.Equals(IPAddress.Loopback)))
                {
                    return name;
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // not resolvable after all: try the next one
            }
        }

        return null;
    }
}
