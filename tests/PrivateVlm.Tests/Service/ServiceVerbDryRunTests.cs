using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

/// <summary>`privatevlm service ... --dry-run` on both platforms prints exactly the commands the verb would run.</summary>
public sealed class ServiceVerbDryRunTests : IDisposable
{
    private const string Target = "gui/501/org.privatevlm.daemon";
    private readonly ServiceSandbox _sandbox = new();

    private string Plist => Path.Combine(_sandbox.Home, "Library", "LaunchAgents", "org.privatevlm.daemon.plist");

    [Fact]
    public async Task Launchd_install_prints_bootout_enable_bootstrap_and_the_plist_without_writing_anything()
    {
        var run = await Verb(ServicePlatform.Launchd, "install", "--watch", _sandbox.Photos, "--platform", "launchd", "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            [
                $"launchctl bootout {Target}",
                $"launchctl enable {Target}",
                $"launchctl bootstrap gui/501 '{Plist}'",
            ],
            run.Commands);
        Assert.Empty(_sandbox.FilesUnderHome());
        var keys = PlistDocument.ParseTopLevel(run.WrittenFile(Plist));
        Assert.Equal(_sandbox.Photos, PlistDocument.StringArray(keys["ProgramArguments"])[3]);
        Assert.Contains($"# copy app: {_sandbox.Publish} -> {Path.Combine(_sandbox.Home, "Library", "Application Support", "PrivateVlm", "app")}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"# create directory: {Path.Combine(_sandbox.Home, "Library", "Logs", "PrivateVlm")}", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Systemd_install_prints_stop_daemon_reload_enable_now()
    {
        var run = await Verb(ServicePlatform.Launchd, "install", "--watch", "My Photos", "--db", "~/index.db", "--process-type", "Background", "--platform", "systemd", "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            ["systemctl --user stop privatevlm.service", "systemctl --user daemon-reload", "systemctl --user enable --now privatevlm.service"],
            run.Commands);
        var unit = SystemdUnitFile.Parse(run.WrittenFile(Path.Combine(_sandbox.Home, ".config", "systemd", "user", "privatevlm.service")));
        Assert.Equal(
            [Path.Combine(_sandbox.Home, ".local", "share", "privatevlm", "app", "privatevlm"), "run", "--watch", _sandbox.Photos, "--db", Path.Combine(_sandbox.Home, "index.db"), "--shutdown-timeout", "30"],
            SystemdCommandLine.Split(unit["Service"]["ExecStart"]));
        Assert.Contains("loginctl enable-linger", run.Output, StringComparison.Ordinal);
        Assert.Empty(_sandbox.FilesUnderHome());
    }

    [Theory]
    [InlineData("launchd", new[] { "start" }, new[] { "launchctl enable " + Target, "launchctl kickstart " + Target })]
    [InlineData("launchd", new[] { "stop" }, new[] { "launchctl print " + Target, "launchctl kill SIGTERM " + Target })]
    [InlineData("launchd", new[] { "stop", "--disable" }, new[] { "launchctl print " + Target, "launchctl kill SIGTERM " + Target, "launchctl disable " + Target })]
    [InlineData("launchd", new[] { "stop", "--unload" }, new[] { "launchctl bootout " + Target })]
    [InlineData("launchd", new[] { "stop", "--unload", "--disable" }, new[] { "launchctl bootout " + Target, "launchctl disable " + Target })]
    [InlineData("launchd", new[] { "restart" }, new[] { "launchctl print " + Target, "launchctl kill SIGTERM " + Target, "launchctl enable " + Target, "launchctl kickstart " + Target })]
    [InlineData("launchd", new[] { "status" }, new[] { "launchctl print " + Target })]
    [InlineData("launchd", new[] { "uninstall" }, new[] { "launchctl bootout " + Target })]
    [InlineData("systemd", new[] { "start" }, new[] { "systemctl --user enable --now privatevlm.service" })]
    [InlineData("systemd", new[] { "stop" }, new[] { "systemctl --user stop privatevlm.service" })]
    [InlineData("systemd", new[] { "stop", "--disable" }, new[] { "systemctl --user stop privatevlm.service", "systemctl --user disable privatevlm.service" })]
    [InlineData("systemd", new[] { "restart" }, new[] { "systemctl --user restart privatevlm.service" })]
    [InlineData("systemd", new[] { "status" }, new[] { "systemctl --user show privatevlm.service -p LoadState,ActiveState,SubState,MainPID,ExecMainStatus" })]
    [InlineData("systemd", new[] { "uninstall" }, new[] { "systemctl --user disable --now privatevlm.service", "systemctl --user daemon-reload" })]
    public async Task Every_verb_prints_exactly_its_commands(string platform, string[] verb, string[] expected)
    {
        await InstallForRealWithRecordedCommands(Enum.Parse<ServicePlatform>(platform, ignoreCase: true));
        var before = _sandbox.FilesUnderHome();

        var run = await Verb(ServicePlatform.Systemd, [.. verb, "--platform", platform, "--dry-run"]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(expected.Select(e => e.Replace("PLIST", "'" + Plist + "'", StringComparison.Ordinal)), run.Commands);
        Assert.Equal(before, _sandbox.FilesUnderHome());
    }

    [Fact]
    public async Task Launchd_stop_dry_run_says_it_waits_for_the_exit_within_exit_time_out()
    {
        await InstallForRealWithRecordedCommands(ServicePlatform.Launchd);

        var run = await Verb(ServicePlatform.Launchd, "stop", "--dry-run");

        // ExitTimeOut of the installed plist (30 s drain + 15) plus 15 s for launchd's own SIGKILL to land.
        Assert.Contains($"# wait until `launchctl print {Target}` shows no pid (at most 60 s)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("bootout", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uninstall_dry_run_lists_what_it_would_remove()
    {
        await InstallForRealWithRecordedCommands(ServicePlatform.Launchd);

        var run = await Verb(ServicePlatform.Launchd, "uninstall", "--purge-data", "--dry-run");

        var app = Path.Combine(_sandbox.Home, "Library", "Application Support", "PrivateVlm", "app");
        Assert.Contains($"# remove file: {Plist}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"# remove directory: {app}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"# remove directory: {Path.Combine(_sandbox.Home, "Library", "Logs", "PrivateVlm")}", run.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Plist));
        Assert.True(Directory.Exists(app));
    }

    [Fact]
    public async Task Start_before_install_says_what_to_do()
    {
        var run = await Verb(ServicePlatform.Launchd, "start", "--dry-run");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("service install --watch", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Commands);
    }

    [Theory]
    [InlineData("~someone/photos", "~user")]
    [InlineData("$HOME/photos", "unexpanded variable")]
    [InlineData("does-not-exist", "does not exist")]
    public async Task Install_refuses_watch_folders_it_cannot_make_absolute_and_real(string watch, string message)
    {
        var run = await Verb(ServicePlatform.Launchd, "install", "--watch", watch, "--dry-run");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Commands);
    }

    [Fact]
    public async Task Install_warns_about_full_disk_access_for_protected_folders()
    {
        var documents = Path.Combine(_sandbox.Home, "Documents", "Camera Roll");
        Directory.CreateDirectory(documents);

        var run = await Verb(ServicePlatform.Launchd, "install", "--watch", "~/Documents/Camera Roll", "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Full Disk Access", run.Output, StringComparison.Ordinal);
        Assert.Contains("EPERM", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_without_a_health_probe_says_health_is_not_available()
    {
        var status = new ServiceStatus(Target, Plist, true, true, "running", 4242, "(never exited)", "/db/privatevlm.db");

        var lines = ServiceStatusReport.Lines(status, health: null);

        Assert.Contains("daemon health: (not available)", lines);
        Assert.Contains("pid: 4242", lines);
        Assert.Equal(0, ServiceStatusReport.ExitCode(status));
        Assert.Equal(3, ServiceStatusReport.ExitCode(status with { ProcessId = null, State = "not running" }));
        Assert.Contains("daemon health: 12 photos queued", ServiceStatusReport.Lines(status, "12 photos queued"));
    }

    private async Task InstallForRealWithRecordedCommands(ServicePlatform platform)
    {
        using var output = new StringWriter();
        var files = new InstallationFiles(output, apply: true);
        var runner = new DryRunCommandRunner(output);
        var locations = _sandbox.Locations(platform);
        IServiceController controller = platform == ServicePlatform.Launchd
            ? new LaunchAgentController(locations, "501", runner, files, output, TimeProvider.System)
            : new SystemdUserUnitController(locations, runner, files);
        await controller.InstallAsync(_sandbox.Definition(platform), _sandbox.Publish, CancellationToken.None);
    }

    private Task<VerbRun> Verb(ServicePlatform platform, params string[] args) =>
        _sandbox.RunVerbAsync(_sandbox.Environment(platform), health: null, args);

    public void Dispose() => _sandbox.Dispose();
}
