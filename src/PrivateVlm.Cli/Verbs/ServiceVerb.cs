using System.CommandLine;
using PrivateVlm.Service;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm service install|uninstall|start|stop|restart|status`: the daemon as a launchd LaunchAgent on macOS or a
/// systemd user unit on Linux. All logic lives in PrivateVlm.Service; this file only maps options to it.
/// </summary>
public static class ServiceVerb
{
    /// <param name="daemonHealth">Filled by the host wiring with the database's own health report; status prints
    /// "daemon health: (not available)" without it.</param>
    /// <param name="environment">HOME, uid, platform and the app folder; tests pass fakes.</param>
    public static Command Create(DaemonHealthProbe? daemonHealth = null, ServiceEnvironment? environment = null)
    {
        var env = environment ?? ServiceEnvironment.ForCurrentProcess();
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Print the exact launchctl/systemctl commands and files instead of running or writing them.",
            Recursive = true,
        };
        var platform = new Option<ServicePlatform?>("--platform")
        {
            Description = "Plan for launchd or systemd regardless of the running OS (for tests and for reading the macOS plan on Linux).",
            Recursive = true,
            Hidden = true,
        };

        var service = new Command(
            "service",
            "Run the daemon as a per-user service: a launchd LaunchAgent (org.privatevlm.daemon) on macOS, a systemd user unit " +
            "(privatevlm.service) on Linux. On Linux the unit runs while you are logged in; `loginctl enable-linger $USER` keeps it " +
            "running without a session. See launchd/README.md.");
        service.Options.Add(dryRun);
        service.Options.Add(platform);
        service.Subcommands.Add(Install(env, dryRun, platform));
        service.Subcommands.Add(Uninstall(env, dryRun, platform));
        service.Subcommands.Add(Simple(
            "start",
            "Start the daemon (launchctl enable + kickstart, loading the job first only if it is not loaded / systemctl --user enable --now).",
            env, dryRun, platform, (controller, _, ct) => controller.StartAsync(ct)));
        service.Subcommands.Add(Stop(env, dryRun, platform));
        service.Subcommands.Add(Simple(
            "restart",
            "Stop the daemon (SIGTERM, wait for its drain) and start it again (launchctl kill SIGTERM + kickstart / systemctl --user restart).",
            env, dryRun, platform, (controller, _, ct) => controller.RestartAsync(ct)));
        service.Subcommands.Add(Status(env, dryRun, platform, daemonHealth));
        return service;
    }

    private static Command Install(ServiceEnvironment env, Option<bool> dryRun, Option<ServicePlatform?> platform)
    {
        var watch = new Option<string>("--watch") { Description = "Folder of photos to watch (made absolute; ~ is expanded).", Required = true };
        var db = new Option<string?>("--db") { Description = "SQLite database file. Default: privatevlm.db in the per-user data folder." };
        var processType = new Option<ServiceProcessType>("--process-type")
        {
            Description = "launchd ProcessType: Interactive (default, unthrottled), Standard (launchd default, throttled), Background (efficiency cores, slowest).",
            DefaultValueFactory = _ => ServiceProcessType.Interactive,
        };
        var prefix = new Option<string?>("--prefix")
        {
            Description = "Folder to copy the app into. Default: ~/Library/Application Support/PrivateVlm/app (macOS), $XDG_DATA_HOME/privatevlm/app (Linux).",
        };
        var from = new Option<string?>("--from") { Description = "Published app folder to install. Default: the folder of this privatevlm executable." };
        var shutdown = new Option<int>("--shutdown-timeout")
        {
            Description = "Seconds the daemon's host gets to drain on SIGTERM (HostOptions.ShutdownTimeout); the service waits 15 s longer before SIGKILL.",
            DefaultValueFactory = _ => (int)ServiceDefinition.DefaultShutdownTimeout.TotalSeconds,
        };

        var command = new Command("install", "Copy the published app to a stable folder, write the LaunchAgent plist / systemd unit, and start it.");
        command.Options.Add(watch);
        command.Options.Add(db);
        command.Options.Add(processType);
        command.Options.Add(prefix);
        command.Options.Add(from);
        command.Options.Add(shutdown);
        command.SetAction((parse, ct) => RunAsync(parse, env, dryRun, platform, async (controller, output, token) =>
        {
            var locations = controller.Locations;
            var request = new ServiceInstallRequest(
                parse.GetValue(watch)!,
                parse.GetValue(db),
                parse.GetValue(processType),
                TimeSpan.FromSeconds(parse.GetValue(shutdown)),
                UserPath.Resolve(parse.GetValue(from) ?? env.ApplicationDirectory, locations.Home, env.CurrentDirectory, "app source"));
            var definition = request.Resolve(locations, env.CurrentDirectory);
            await controller.InstallAsync(definition, request.SourceDirectory, token);
            foreach (var note in InstallNotes(locations, definition, request.SourceDirectory))
            {
                output.WriteLine(note);
            }
        }, ct, prefix));
        return command;
    }

    private static Command Uninstall(ServiceEnvironment env, Option<bool> dryRun, Option<ServicePlatform?> platform)
    {
        var keepApp = new Option<bool>("--keep-app") { Description = "Keep the installed copy of the app." };
        var purge = new Option<bool>("--purge-data") { Description = "Also delete the database (with its -wal/-shm files) and the log folder. Photos are never touched." };
        var command = new Command("uninstall", "Stop the daemon and remove the plist/unit and the app copy. The database and logs are kept unless --purge-data.");
        command.Options.Add(keepApp);
        command.Options.Add(purge);
        command.SetAction((parse, ct) => RunAsync(parse, env, dryRun, platform,
            (controller, _, token) => controller.UninstallAsync(parse.GetValue(keepApp), parse.GetValue(purge), token), ct));
        return command;
    }

    private static Command Stop(ServiceEnvironment env, Option<bool> dryRun, Option<ServicePlatform?> platform)
    {
        var disable = new Option<bool>("--disable") { Description = "Also keep it from starting at the next login until `service start`." };
        var unload = new Option<bool>("--unload")
        {
            Description = "macOS: also unload the job (launchctl bootout), as uninstall does; a raw `launchctl start` then fails until `service start`.",
        };
        var command = new Command(
            "stop",
            "Stop the daemon and wait for it to exit (launchctl kill SIGTERM / systemctl --user stop). The job stays loaded and stays down " +
            "until `service start`, a raw `launchctl start org.privatevlm.daemon` / `systemctl --user start privatevlm.service`, or the next login.");
        command.Options.Add(disable);
        command.Options.Add(unload);
        command.SetAction((parse, ct) => RunAsync(parse, env, dryRun, platform,
            (controller, _, token) => controller.StopAsync(new ServiceStopRequest(parse.GetValue(disable), parse.GetValue(unload)), token), ct));
        return command;
    }

    private static Command Status(ServiceEnvironment env, Option<bool> dryRun, Option<ServicePlatform?> platform, DaemonHealthProbe? daemonHealth)
    {
        var command = new Command("status", "Show the service manager's view (state, pid, last exit) and the daemon's own health. Exit code 0 running, 3 not running.");
        command.SetAction(async (parse, ct) =>
        {
            var exitCode = 0;
            var result = await RunAsync(parse, env, dryRun, platform, async (controller, output, token) =>
            {
                if (await controller.StatusAsync(token) is not { } status)
                {
                    return;
                }

                var health = daemonHealth is null ? null : await DescribeHealthAsync(daemonHealth, status.Database ?? controller.Locations.DefaultDatabase, token);
                foreach (var line in ServiceStatusReport.Lines(status, health))
                {
                    output.WriteLine(line);
                }

                exitCode = ServiceStatusReport.ExitCode(status);
            }, ct);
            return result != 0 ? result : exitCode;
        });
        return command;
    }

    private static Command Simple(
        string name,
        string description,
        ServiceEnvironment env,
        Option<bool> dryRun,
        Option<ServicePlatform?> platform,
        Func<IServiceController, TextWriter, CancellationToken, Task> action)
    {
        var command = new Command(name, description);
        command.SetAction((parse, ct) => RunAsync(parse, env, dryRun, platform, action, ct));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parse,
        ServiceEnvironment env,
        Option<bool> dryRun,
        Option<ServicePlatform?> platform,
        Func<IServiceController, TextWriter, CancellationToken, Task> action,
        CancellationToken cancellationToken,
        Option<string?>? prefix = null)
    {
        var output = parse.InvocationConfiguration.Output;
        try
        {
            var chosen = parse.GetValue(platform) ?? env.Platform;
            var appDirectory = prefix is null ? null : parse.GetValue(prefix);
            var home = env.Variables("HOME") ?? "";
            var locations = ServiceLocations.For(
                chosen,
                env.Variables,
                appDirectory is null ? null : UserPath.Resolve(appDirectory, home, env.CurrentDirectory, "install prefix"));
            var dry = parse.GetValue(dryRun);
            IServiceCommandRunner runner = dry ? new DryRunCommandRunner(output) : new ProcessCommandRunner(output);
            var files = new InstallationFiles(output, apply: !dry);
            IServiceController controller = chosen == ServicePlatform.Launchd
                ? new LaunchAgentController(locations, await env.UserId(cancellationToken), runner, files, output, env.Time)
                : new SystemdUserUnitController(locations, runner, files);
            await action(controller, output, cancellationToken);
            return 0;
        }
        catch (ServiceSetupException e)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync(e.Message);
            return 1;
        }
    }

    private static async Task<string> DescribeHealthAsync(DaemonHealthProbe probe, string database, CancellationToken cancellationToken)
    {
        try
        {
            return await probe(database, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"error: {e.Message}";
        }
    }

    private static IEnumerable<string> InstallNotes(ServiceLocations locations, ServiceDefinition definition, string source)
    {
        if (locations.Platform == ServicePlatform.Launchd
            && ProtectedFolders.Explain(definition.WatchFolder, locations.Home, definition.Apphost) is { } privacy)
        {
            yield return privacy;
        }

        if (!Directory.EnumerateFiles(source, "libhostfxr.*").Any())
        {
            yield return $"note: {source} is not a self-contained publish (no libhostfxr); the service then needs a .NET runtime the apphost can find. " +
                         "Prefer dotnet publish --self-contained.";
        }

        if (locations.Platform == ServicePlatform.Systemd)
        {
            yield return "note: the unit runs while you are logged in; `loginctl enable-linger $USER` keeps it running without a session.";
        }
    }
}
