using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Viewer.Hosting;

/// <summary>
/// Serves the viewer from the running daemon at http://127.0.0.1:Viewer:Port/ (off when the setting is absent). The
/// pages read the database like any other reader, so ingestion never waits for them; a taken port is logged and the
/// daemon carries on without the viewer.
/// </summary>
public sealed partial class ViewerDaemonService(
    IServiceProvider services, ViewerOptions options, IEnumerable<IPhotoStage> stages, ILogger<ViewerDaemonService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Port is not { } port)
        {
            return;
        }

        var notConfigured = stages.Where(s => !s.IsConfigured)
            .Select(s => new UnconfiguredStage(s.Name, s.NotConfiguredReason ?? "a stage it depends on is not configured")).ToList();
        ViewerSite site;
        try
        {
            site = await ViewerSite.StartAsync(services, port, notConfigured, stoppingToken);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            LogCannotServe(logger, port, e.Message);
            return;
        }

        await using (site)
        {
            LogServing(logger, site.Address);
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // The daemon is stopping.
            }
        }
    }

    [LoggerMessage(EventId = 4810, Level = LogLevel.Information, Message = "Serving the viewer at {Address}")]
    private static partial void LogServing(ILogger logger, Uri address);

    [LoggerMessage(EventId = 4811, Level = LogLevel.Error, Message = "Cannot serve the viewer on 127.0.0.1:{Port}: {Reason}; photos are still ingested, `privatevlm view` works on another port")]
    private static partial void LogCannotServe(ILogger logger, int port, string reason);
}
