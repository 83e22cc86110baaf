using System.Text.RegularExpressions;
using PrivateVlm.Tests.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Daemon;

/// <summary>
/// launchd restarts the job after any exit that is not a clean 0 (KeepAlive {SuccessfulExit=false}), so a requested
/// stop stays a stop only if the daemon answers SIGTERM with exit 0 in every phase. Start-up (migrating) and mid-ingestion
/// are in <see cref="CrashSafetyTests"/>; these cover the drain while the daemon stops the model servers it supervises.
/// </summary>
[Collection(DaemonProcessCollection.Name)]
public sealed partial class SigtermExitTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly TempLibrary _library = new();

    /// <summary>
    /// The supervised server ignores SIGTERM, so the drain lasts the whole grace period before the daemon SIGKILLs it;
    /// a second SIGTERM (an impatient `launchctl stop` typed twice) lands inside that drain. Still exit 0, and nothing
    /// is left running.
    /// </summary>
    [Fact]
    public async Task A_second_SIGTERM_while_the_daemon_waits_for_a_server_that_ignores_SIGTERM_is_still_exit_zero()
    {
        var environment = Settings(new Dictionary<string, string>
        {
            ["ModelServers:Quick:Command"] = "sh",
            ["ModelServers:Quick:Arguments:0"] = "-c",
            ["ModelServers:Quick:Arguments:1"] = "trap '' TERM; while :; do sleep 1; done",
            ["ModelServers:Quick:StopGracePeriod"] = "00:00:03",
            ["Tiers:Quick:Endpoints:0"] = $"http://127.0.0.1:{FreePort.Pick()}",
        });
        using var daemon = DaemonProcess.Start(_library, environment);
        var server = await StartedServerAsync(daemon);

        daemon.Terminate();
        await Eventually.AssertAsync(() => daemon.Output.Contains($"Stopping the quick server (pid {server})", StringComparison.Ordinal) || daemon.HasExited, "the drain reached the server", Bound);
        Assert.False(daemon.HasExited, "the daemon exited before the grace period of a server that ignores SIGTERM: " + daemon.Output);
        daemon.Terminate();

        var exit = await daemon.WaitForExitAsync(Bound);
        Assert.True(exit == 0, $"exit {exit} after SIGTERM twice during the drain: {daemon.Output}");
        Assert.Contains($"The quick server (pid {server}) ignored SIGTERM", daemon.Output, StringComparison.Ordinal);
        Assert.False(SupervisedServers.IsRunning(server), "the server outlived the daemon");
    }

    /// <summary>A 32B model can take minutes to load: a stop during that time ends the loading server and exits 0.</summary>
    [Fact]
    public async Task SIGTERM_while_the_supervised_server_is_still_loading_is_exit_zero_and_the_server_is_gone()
    {
        var environment = Settings(SupervisedServers.FakeServer("Quick", FreePort.Pick(), "--load-seconds", "600")
            .ToDictionary(s => s.Key, s => s.Value!));
        using var daemon = DaemonProcess.Start(_library, environment);
        var server = await StartedServerAsync(daemon);
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM sqlite_master WHERE name = 'tier_health'") == 1
                  && _library.CountOrZero("SELECT count(*) FROM tier_health WHERE tier = 'quick' AND state = 'starting'") == 1,
            "the quick tier recorded as starting (server up, still loading)", Bound);

        daemon.Terminate();

        var exit = await daemon.WaitForExitAsync(Bound);
        Assert.True(exit == 0, $"exit {exit} after SIGTERM while the server loaded: {daemon.Output}");
        Assert.False(SupervisedServers.IsRunning(server), "the loading server outlived the daemon");
    }

    private async Task<int> StartedServerAsync(DaemonProcess daemon)
    {
        Match? started = null;
        await Eventually.AssertAsync(
            () => (started = StartedServer().Match(daemon.Output)).Success || daemon.HasExited, "the supervised quick server started", Bound);
        Assert.True(started!.Success, "the daemon ended before it started its server: " + daemon.Output);
        return int.Parse(started.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> Settings(IReadOnlyDictionary<string, string> settings) =>
        settings.ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

    [GeneratedRegex(@"Started the quick server \(pid (?<pid>\d+)\)")]
    private static partial Regex StartedServer();

    public void Dispose() => _library.Dispose();
}
