using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

/// <summary>
/// Install and uninstall against real files in a fake HOME, with the command runner recording instead of running
/// launchctl/systemctl (neither can manage services in this container).
/// </summary>
public sealed class ServiceInstallTests : IDisposable
{
    private readonly ServiceSandbox _sandbox = new();
    private readonly StringWriter _output = new();

    [Theory]
    [InlineData(ServicePlatform.Launchd)]
    [InlineData(ServicePlatform.Systemd)]
    public async Task Install_lands_every_file_where_the_definition_says_and_runs_the_start_commands(ServicePlatform platform)
    {
        var (controller, runner) = Controller(platform);
        var definition = _sandbox.Definition(platform);

        await controller.InstallAsync(definition, _sandbox.Publish, CancellationToken.None);

        var locations = controller.Locations;
        Assert.True(File.Exists(locations.DefinitionFile), locations.DefinitionFile);
        var text = await File.ReadAllTextAsync(locations.DefinitionFile);
        var arguments = platform == ServicePlatform.Launchd ? LaunchAgentPlist.ReadProgramArguments(text) : SystemdUserUnit.ReadProgramArguments(text);
        Assert.Equal(definition.ProgramArguments, arguments);

        // The apphost the definition names exists, is the copied one, and is still executable.
        Assert.True(File.Exists(arguments[0]), arguments[0]);
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(arguments[0]).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(await File.ReadAllTextAsync(_sandbox.Apphost), await File.ReadAllTextAsync(arguments[0]));
        Assert.True(File.Exists(Path.Combine(locations.AppDirectory, "runtimes", "osx-arm64", "native", "libvips-stand-in.dylib")));
        Assert.True(File.Exists(Path.Combine(locations.AppDirectory, ServiceLocations.InstallMarkerName)));
        Assert.True(Directory.Exists(definition.LogDirectory));
        Assert.True(Directory.Exists(definition.WorkingDirectory));
        Assert.StartsWith(_sandbox.Home + "/", locations.DefinitionFile, StringComparison.Ordinal);
        Assert.StartsWith(_sandbox.Home + "/", locations.AppDirectory, StringComparison.Ordinal);

        var expected = platform == ServicePlatform.Launchd
            ? new[]
            {
                "launchctl bootout gui/501/org.privatevlm.daemon",
                "launchctl enable gui/501/org.privatevlm.daemon",
                $"launchctl bootstrap gui/501 {ShellWord.Quote(locations.DefinitionFile)}",
            }
            : ["systemctl --user stop privatevlm.service", "systemctl --user daemon-reload", "systemctl --user enable --now privatevlm.service"];
        Assert.Equal(expected, runner.Commands.Select(c => c.ToString()));
    }

    [Fact]
    public async Task Reinstall_replaces_the_previous_copy_and_keeps_the_database()
    {
        var (controller, _) = Controller(ServicePlatform.Launchd);
        var definition = _sandbox.Definition(ServicePlatform.Launchd);
        await controller.InstallAsync(definition, _sandbox.Publish, CancellationToken.None);
        var stale = Path.Combine(controller.Locations.AppDirectory, "removed-in-new-version.dll");
        await File.WriteAllTextAsync(stale, "old");
        await File.WriteAllTextAsync(definition.Database, "sqlite stand-in");

        await controller.InstallAsync(definition, _sandbox.Publish, CancellationToken.None);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(Path.Combine(controller.Locations.AppDirectory, "privatevlm")));
        Assert.Equal("sqlite stand-in", await File.ReadAllTextAsync(definition.Database));
    }

    [Fact]
    public async Task Install_refuses_a_foreign_non_empty_prefix_before_stopping_anything()
    {
        var prefix = Path.Combine(_sandbox.Root, "somebody else's folder");
        Directory.CreateDirectory(prefix);
        await File.WriteAllTextAsync(Path.Combine(prefix, "precious.txt"), "keep me");
        var (controller, runner) = Controller(ServicePlatform.Launchd, prefix);

        var error = await Assert.ThrowsAsync<ServiceSetupException>(() =>
            controller.InstallAsync(_sandbox.Definition(ServicePlatform.Launchd, appDirectory: prefix), _sandbox.Publish, CancellationToken.None));

        Assert.Contains("not created by privatevlm service install", error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Commands);
        Assert.True(File.Exists(Path.Combine(prefix, "precious.txt")));
    }

    [Fact]
    public async Task Install_refuses_a_folder_without_an_apphost()
    {
        var empty = Path.Combine(_sandbox.Root, "not published");
        Directory.CreateDirectory(empty);
        var (controller, runner) = Controller(ServicePlatform.Systemd);

        var error = await Assert.ThrowsAsync<ServiceSetupException>(() =>
            controller.InstallAsync(_sandbox.Definition(ServicePlatform.Systemd), empty, CancellationToken.None));

        Assert.Contains("dotnet publish", error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Commands);
    }

    [Theory]
    [InlineData(ServicePlatform.Launchd)]
    [InlineData(ServicePlatform.Systemd)]
    public async Task Uninstall_removes_definition_and_app_but_keeps_data_unless_purged(ServicePlatform platform)
    {
        var prefix = Path.Combine(_sandbox.Root, "custom prefix");
        var (controller, _) = Controller(platform, prefix);
        var definition = _sandbox.Definition(platform, database: "~/photos index/index.db", appDirectory: prefix);
        await controller.InstallAsync(definition, _sandbox.Publish, CancellationToken.None);
        await File.WriteAllTextAsync(definition.Database, "db");
        await File.WriteAllTextAsync(definition.Database + "-wal", "wal");
        await File.WriteAllTextAsync(Path.Combine(definition.LogDirectory, "daemon.err.log"), "log");

        // A fresh controller without the prefix: uninstall must find the app copy and database from the installed file.
        var (fresh, _) = Controller(platform);
        await fresh.UninstallAsync(keepApp: false, purgeData: false, CancellationToken.None);

        Assert.False(File.Exists(controller.Locations.DefinitionFile));
        Assert.False(Directory.Exists(prefix));
        Assert.True(File.Exists(definition.Database));
        Assert.True(Directory.Exists(definition.LogDirectory));
        Assert.True(Directory.Exists(_sandbox.Photos));

        await controller.InstallAsync(definition, _sandbox.Publish, CancellationToken.None);
        await fresh.UninstallAsync(keepApp: false, purgeData: true, CancellationToken.None);

        Assert.False(File.Exists(definition.Database));
        Assert.False(File.Exists(definition.Database + "-wal"));
        Assert.False(Directory.Exists(definition.LogDirectory));
        Assert.True(Directory.Exists(_sandbox.Photos));
    }

    [Fact]
    public async Task Uninstall_never_deletes_an_app_folder_it_did_not_create()
    {
        var (controller, _) = Controller(ServicePlatform.Launchd);
        var foreign = controller.Locations.AppDirectory;
        Directory.CreateDirectory(foreign);
        await File.WriteAllTextAsync(Path.Combine(foreign, "privatevlm"), "user's own build");

        await controller.UninstallAsync(keepApp: false, purgeData: false, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(foreign, "privatevlm")));
        Assert.Contains("# keep " + foreign, _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_files_change_nothing_but_print_the_rendered_definition()
    {
        var runner = new DryRunCommandRunner(_output);
        var locations = _sandbox.Locations(ServicePlatform.Launchd);
        var controller = new LaunchAgentController(locations, "501", runner, new InstallationFiles(_output, apply: false), _output, TimeProvider.System);
        var definition = _sandbox.Definition(ServicePlatform.Launchd);

        await controller.InstallAsync(definition, _sandbox.Publish, CancellationToken.None);

        Assert.Empty(_sandbox.FilesUnderHome());
        var run = new VerbRun(0, _output.ToString(), "");
        Assert.Equal(LaunchAgentPlist.Render(definition), run.WrittenFile(locations.DefinitionFile));
    }

    private (IServiceController Controller, DryRunCommandRunner Runner) Controller(ServicePlatform platform, string? prefix = null)
    {
        var runner = new DryRunCommandRunner(_output);
        var files = new InstallationFiles(_output, apply: true);
        var locations = _sandbox.Locations(platform, prefix);
        IServiceController controller = platform == ServicePlatform.Launchd
            ? new LaunchAgentController(locations, "501", runner, files, _output, TimeProvider.System)
            : new SystemdUserUnitController(locations, runner, files);
        return (controller, runner);
    }

    public void Dispose()
    {
        _output.Dispose();
        _sandbox.Dispose();
    }
}
