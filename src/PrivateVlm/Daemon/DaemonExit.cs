using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.Daemon;

/// <summary>
/// Remembers why the daemon is stopping. launchd (KeepAlive SuccessfulExit=false) and systemd (Restart=on-failure)
/// restart the daemon only on a non-zero exit, so a fatal error must never end as exit code 0.
/// </summary>
public sealed partial class DaemonExit
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<DaemonExit> _logger;
    private string? _fatal;

    public DaemonExit(IHostApplicationLifetime lifetime, ILogger<DaemonExit> logger)
    {
        _lifetime = lifetime;
        _logger = logger;
    }

    public string? FatalError => _fatal;

    public int ExitCode => _fatal is null ? 0 : 1;

    /// <summary>
    /// The exit code once the host has stopped: 1 after a fatal error, and also when a background loop died of an
    /// exception. The host stops itself then (BackgroundServiceExceptionBehavior.StopHost) but would exit 0, and the
    /// service manager would leave a daemon with a dead loop stopped instead of restarting it.
    /// </summary>
    public int ExitCodeAfter(IEnumerable<IHostedService> services)
    {
        foreach (var service in services.OfType<BackgroundService>())
        {
            if (service.ExecuteTask is { IsFaulted: true } faulted)
            {
                Fatal($"{service.GetType().Name} stopped on an error", faulted.Exception.InnerException ?? faulted.Exception);
            }
        }

        return ExitCode;
    }

    public void Fatal(string what, Exception exception)
    {
        Interlocked.CompareExchange(ref _fatal, $"{what}: {exception.Message}", null);
        LogFatal(_logger, exception, what);
        _lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Fatal: {What}; stopping the daemon with a non-zero exit code")]
    private static partial void LogFatal(ILogger logger, Exception exception, string what);
}
