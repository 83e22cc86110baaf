using System.Globalization;
using PrivateVlm.Tests.ModelServers;
using PrivateVlm.Tests.Support;
using PrivateVlm.Tests.Vlm.Stages;

namespace PrivateVlm.Tests.Security;

/// <summary>
/// One real `privatevlm run` process in the configuration that opens the most doors: the loopback health endpoint on,
/// the quick tier's model server (the fake llama-server) started and supervised by the daemon, the most verbose log
/// level, and photos described through that server. The security tests look at what it listens on, what it created
/// on disk and what it wrote to its log, while it runs.
/// </summary>
public sealed class SecuredDaemon : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public TempLibrary Library { get; } = new();

    public DaemonProcess Daemon { get; private set; } = null!;

    public int HealthPort { get; } = FreePort.Pick();

    /// <summary>The supervised model server's process.</summary>
    public int ServerProcessId { get; private set; }

    public IReadOnlyList<string> Photos { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var environment = SupervisedServers.FakeServer("Quick", FreePort.Pick())
            .Concat(new Dictionary<string, string?>
            {
                ["Health:HttpPort"] = HealthPort.ToString(CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Trace",
            })
            .ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        Daemon = DaemonProcess.Start(Library, environment);
        Photos = StageSettings.Jpegs(2).Append(StageSettings.Heic).Select(p => Library.Drop(p)).ToList();

        await Eventually.AssertAsync(
            () => Library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") == Photos.Count,
            "every photo described by the supervised server", Bound, () => Daemon.Output);
        ServerProcessId = (int)Library.Scalar<long>("SELECT process_id FROM tier_health WHERE tier = 'quick'");

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var health = await http.GetAsync(new Uri($"http://127.0.0.1:{HealthPort}/health"));
        Assert.True(health.IsSuccessStatusCode, $"health endpoint: {(int)health.StatusCode}");
    }

    public Task DisposeAsync()
    {
        Daemon?.Dispose();
        Library.Dispose();
        return Task.CompletedTask;
    }
}
