using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.Pipeline;

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

    public void Fatal(string what, Exception exception)
    {
        Interlocked.CompareExchange(ref _fatal, $"{what}: {exception.Message}", null);
        LogFatal(_logger, exception, what);
        _lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Fatal: {What}; stopping the daemon with a non-zero exit code")]
    private static partial void LogFatal(ILogger logger, Exception exception, string what);
}
