using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using PrivateVlm.Configuration;
using PrivateVlm.Daemon;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Cli.Verbs;

/// <summary>`privatevlm run --watch DIR`: the daemon in the foreground (what launchd/systemd start).</summary>
internal static class RunVerb
{
    public const string ShutdownTimeoutKey = "Daemon:ShutdownTimeout";

    public static Command Create()
    {
        var watch = new Option<string?>("--watch") { Description = "Folder to watch for photos (recursively)" };
        var database = CommonOptions.Database();
        var shutdownTimeout = new Option<int?>("--shutdown-timeout")
        {
            Description = "Seconds SIGTERM waits for in-flight work before releasing it to the queue (default 30; the service files pass it)",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
                {
                    return seconds;
                }

                result.AddError($"--shutdown-timeout takes a whole number of seconds above 0, not '{text}'.");
                return null;
            },
        };
        var command = new Command("run", "Run the daemon in the foreground: watch a folder and analyse every photo into SQLite")
        {
            watch,
            database,
            shutdownTimeout,
        };
        command.SetAction(async (parse, _) => await RunAsync(CommonOptions.Flags(
            ("Watch:Folder", parse.GetValue(watch)),
            ("Database:Path", parse.GetValue(database)),
            (ShutdownTimeoutKey, parse.GetValue(shutdownTimeout) is { } seconds ? TimeSpan.FromSeconds(seconds).ToString() : null))));
        return command;
    }

    /// <summary>Exit codes: 0 after a requested stop (SIGTERM/SIGINT), 1 on a fatal error, 2 on bad configuration (one line
    /// on stderr naming the setting and its fix, no stack trace).</summary>
    public static async Task<int> RunAsync(IDictionary<string, string?> flags)
    {
        PrivateFileMode.ApplyToThisProcess();

        // A stop requested while the host is still starting is still a requested stop (exit 0): the host's own
        // SIGTERM handling only exists once it has started. Program registers these first thing; this covers callers
        // that come straight here.
        StopSignals.Catch();
        var stopRequested = StopSignals.Requested;

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddPrivateVlmSources(flags);
        if (RunPreflight.Problem(builder.Configuration) is { } problem)
        {
            Console.Error.WriteLine($"privatevlm run: {problem}");
            return SettingProblem.ExitCode;
        }

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        // The host logs a failed start with the whole stack trace before rethrowing; the catch below says it once, in
        // one line for the failures a user can fix. A background loop that dies is still logged (at Critical) by the host.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.ColorBehavior = Console.IsOutputRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
        });
        // SIGTERM (launchd, systemd, kill) and SIGINT stop the host gracefully.
        builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = builder.Configuration.GetValue(ShutdownTimeoutKey, TimeSpan.FromSeconds(30));
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });

        try
        {
            builder.Services.AddPhotoDaemon(builder.Configuration);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"privatevlm: {e.Message}");
            return 2;
        }

        using var host = builder.Build();
        if (EverySettingBinds(builder.Services, host.Services) is { } unbound)
        {
            Console.Error.WriteLine($"privatevlm run: {unbound}");
            return SettingProblem.ExitCode;
        }

        var exit = host.Services.GetRequiredService<DaemonExit>();
        var logger = host.Services.GetRequiredService<ILogger<DaemonExit>>();
        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        try
        {
            await host.StartAsync(stopRequested);
            await host.WaitForShutdownAsync(stopRequested);
        }
        catch (OperationCanceledException) when (stopRequested.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            // A stop during start-up: by our own handler, or by the host's (which runs first once it is registered and
            // then stops the start through ApplicationStopping). Still a requested stop, unless DaemonExit says otherwise.
            await host.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (SettingProblem.Describe(e) is { } setting)
        {
            Console.Error.WriteLine($"privatevlm run: {setting}");
            return SettingProblem.ExitCode;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // What the machine refuses (another daemon holds the lock, the database folder cannot be created): the
            // message says it all. Exit 1, so the service manager tries again.
            logger.LogCritical("The daemon could not start: {Reason}", e.Message);
            return 1;
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "The daemon could not start or stopped on an error");
            return 1;
        }

        return exit.ExitCodeAfter(host.Services.GetServices<IHostedService>());
    }

    /// <summary>
    /// Binds every options type now, so a value that does not convert (Watch:StabilityWindow=abc) is reported before
    /// anything starts instead of from whichever service first reads it. Null when all bind.
    /// </summary>
    private static string? EverySettingBinds(IServiceCollection services, IServiceProvider provider)
    {
        var optionTypes = services
            .Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Microsoft.Extensions.Options.IConfigureOptions<>))
            .Select(t => t.GetGenericArguments()[0])
            .Distinct();
        foreach (var type in optionTypes)
        {
            var options = provider.GetRequiredService(typeof(Microsoft.Extensions.Options.IOptions<>).MakeGenericType(type));
            try
            {
                _ = options.GetType().GetProperty("Value")!.GetValue(options);
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is { } inner && SettingProblem.Describe(inner) is { } line)
            {
                return line;
            }
        }

        return null;
    }
}
