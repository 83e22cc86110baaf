using System.Diagnostics;
using PrivateVlm.Service;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Service;

/// <summary>
/// Issue #19: `privatevlm service stop/start/restart` and the raw `launchctl stop/start` a Mac user types follow each
/// other in any order, because stop keeps the job loaded and the daemon answers SIGTERM with exit 0, which KeepAlive
/// {SuccessfulExit=false} leaves down. Driven against <see cref="LaunchdSimulation"/> running the real daemon.
/// </summary>
[Collection(PrivateVlm.Tests.Daemon.DaemonProcessCollection.Name)]
public sealed class LaunchdStopStartTests : IDisposable
{
    private const string Label = ServiceLocations.LaunchdLabel;
    private const string Target = "gui/501/" + Label;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly ServiceSandbox _sandbox = new();
    private readonly TempLibrary _library = new();
    private readonly StringWriter _output = new();

    [Fact]
    public async Task Service_verbs_and_raw_launchctl_stop_and_start_the_daemon_in_any_order_and_a_stop_stays_stopped()
    {
        using var launchd = new LaunchdSimulation(Label, Target, Daemon);
        var controller = Installed(launchd);
        launchd.Bootstrap();
        await ReadyAsync(launchd, 1);

        await controller.StopAsync(new ServiceStopRequest(), CancellationToken.None);
        AssertStoppedCleanly(launchd, spawns: 1);
        Assert.Contains("# stopped (exit 0); still loaded", _output.ToString(), StringComparison.Ordinal);

        // After `service stop`, the raw `launchctl start` works: the job is still loaded.
        Assert.Equal(0, (await launchd.RunAsync(ServiceCommand.Launchctl("start", Label), CancellationToken.None)).ExitCode);
        await ReadyAsync(launchd, 2);

        // A raw `launchctl stop` (SIGTERM) is not undone by KeepAlive, and `service start` follows it.
        Assert.Equal(0, (await launchd.RunAsync(ServiceCommand.Launchctl("stop", Label), CancellationToken.None)).ExitCode);
        await Eventually.AssertAsync(() => launchd.ProcessId is null, "the daemon exited after launchctl stop", Bound, () => launchd.ProcessOutput);
        AssertStoppedCleanly(launchd, spawns: 2);
        await controller.StartAsync(CancellationToken.None);
        Assert.NotNull(launchd.ProcessId);
        await ReadyAsync(launchd, 3);

        // restart drains the running daemon (exit 0) and starts a new one.
        var before = launchd.ProcessId;
        await controller.RestartAsync(CancellationToken.None);
        Assert.NotEqual(before, launchd.ProcessId);
        Assert.Equal("0", launchd.LastExit);
        Assert.Equal(4, launchd.Spawns);
        await ReadyAsync(launchd, 4);

        await controller.StopAsync(new ServiceStopRequest(), CancellationToken.None);
        await controller.StopAsync(new ServiceStopRequest(), CancellationToken.None);
        AssertStoppedCleanly(launchd, spawns: 4);
        Assert.Contains("# not running: already stopped", _output.ToString(), StringComparison.Ordinal);

        // Only --unload unloads: then the raw start cannot find the job, and `service start` loads it again.
        await controller.StopAsync(new ServiceStopRequest(Unload: true), CancellationToken.None);
        Assert.False(launchd.Loaded);
        Assert.NotEqual(0, (await launchd.RunAsync(ServiceCommand.Launchctl("start", Label), CancellationToken.None)).ExitCode);
        await controller.StartAsync(CancellationToken.None);
        Assert.True(launchd.Loaded);
        Assert.NotNull(launchd.ProcessId);
        await ReadyAsync(launchd, 5);
        await controller.StopAsync(new ServiceStopRequest(), CancellationToken.None);
        AssertStoppedCleanly(launchd, spawns: 5);
    }

    [Fact]
    public async Task Stop_says_so_when_the_program_dies_of_SIGTERM_and_keep_alive_starts_it_again()
    {
        // `sleep` keeps SIGTERM's default action: death by signal, which launchd does not count as a successful exit.
        using var launchd = new LaunchdSimulation(Label, Target, () => new ProcessStartInfo("sleep", ["600"]));
        var controller = Installed(launchd);
        launchd.Bootstrap();

        var failure = await Assert.ThrowsAsync<ServiceSetupException>(() => controller.StopAsync(new ServiceStopRequest(), CancellationToken.None));

        Assert.Contains("instead of 0 after SIGTERM, so launchd's KeepAlive starts it again", failure.Message, StringComparison.Ordinal);
        Assert.Contains("stop --unload", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, launchd.Spawns);
        Assert.NotNull(launchd.ProcessId);

        await controller.StopAsync(new ServiceStopRequest(Unload: true), CancellationToken.None);
        Assert.False(launchd.Loaded);
        Assert.Null(launchd.ProcessId);
    }

    private LaunchAgentController Installed(LaunchdSimulation launchd)
    {
        var locations = _sandbox.Locations(ServicePlatform.Launchd);
        Directory.CreateDirectory(Path.GetDirectoryName(locations.DefinitionFile)!);
        File.WriteAllText(locations.DefinitionFile, LaunchAgentPlist.Render(_sandbox.Definition(ServicePlatform.Launchd)));
        return new LaunchAgentController(locations, "501", launchd, new InstallationFiles(_output, apply: false), _output, TimeProvider.System);
    }

    /// <summary>The real `privatevlm run`, as the installed plist's ProgramArguments would start it.</summary>
    private ProcessStartInfo Daemon()
    {
        var start = new ProcessStartInfo("dotnet", ["exec", DaemonProcess.ExecutablePath, "run", "--watch", _library.Inbox, "--db", _library.DatabasePath]);
        start.Environment["PRIVATEVLM__Embeddings__ModelPath"] = Path.Combine(_library.Root, "no-clip-model");
        return start;
    }

    /// <summary>Until the n-th daemon is up (its host started): a SIGTERM before the runtime reaches Main is death by signal.</summary>
    private static Task ReadyAsync(LaunchdSimulation launchd, int spawns) =>
        Eventually.AssertAsync(
            () => CountOf(launchd.ProcessOutput, "Application started") >= spawns, $"daemon {spawns} started", Bound, () => launchd.ProcessOutput);

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static void AssertStoppedCleanly(LaunchdSimulation launchd, int spawns)
    {
        Assert.True(launchd.Loaded, "stop unloaded the job");
        Assert.Null(launchd.ProcessId);
        Assert.True(launchd.LastExit == "0", $"last exit {launchd.LastExit}: {launchd.ProcessOutput}");
        Assert.Equal(spawns, launchd.Spawns); // KeepAlive did not start it again
    }

    public void Dispose()
    {
        _output.Dispose();
        _library.Dispose();
        _sandbox.Dispose();
    }
}
