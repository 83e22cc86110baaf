using System.Diagnostics;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>The real `privatevlm run` process supervising the fake server: SIGKILL of the daemon leaves an orphan that
/// the next daemon stops; SIGTERM of the daemon stops its server with it.</summary>
public sealed class DaemonProcessSupervisionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_server_orphaned_by_a_killed_daemon_is_stopped_by_the_next_one_and_sigterm_stops_the_server_with_the_daemon()
    {
        using var library = new TempLibrary();
        var environment = SupervisedServers.FakeServer("Quick", FreePort.Pick())
            .ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        int? orphan = null;
        try
        {
            using (var first = DaemonProcess.Start(library, environment))
            {
                orphan = await ReadyServerAsync(library, first, exceptProcess: null);
                Signal("-KILL", first.Id);
                await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }

            Assert.True(SupervisedServers.IsRunning(orphan.Value), "SIGKILL of the daemon should leave its server behind (the case this guards)");

            using var second = DaemonProcess.Start(library, environment);
            var replacement = await ReadyServerAsync(library, second, exceptProcess: orphan);
            Assert.False(SupervisedServers.IsRunning(orphan.Value), "the orphaned server still runs");
            Assert.Contains("a previous daemon left running", second.Output, StringComparison.Ordinal);

            second.Terminate();
            Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(SupervisedServers.IsRunning(replacement), "the server outlived the daemon's SIGTERM");
        }
        finally
        {
            if (orphan is { } pid && SupervisedServers.IsRunning(pid))
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
        }
    }

    private static async Task<int> ReadyServerAsync(TempLibrary library, DaemonProcess daemon, int? exceptProcess)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Bound && !daemon.HasExited)
        {
            var row = library.CountOrZero("SELECT count(*) FROM sqlite_master WHERE name = 'tier_health'") == 1
                ? library.Query<(string State, long? ProcessId)>("SELECT state, process_id FROM tier_health WHERE tier = 'quick'").SingleOrDefault()
                : default;
            if (row.State == "ready" && row.ProcessId is { } pid && pid != exceptProcess)
            {
                return (int)pid;
            }

            await Task.Delay(200);
        }

        Assert.Fail("the supervised server never became ready: " + daemon.Output);
        return 0;
    }

    private static void Signal(string signal, int processId)
    {
        using var kill = Process.Start("kill", [signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
