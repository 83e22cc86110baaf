using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using PrivateVlm.ModelHost.Engine;
using PrivateVlm.ModelHost.Http;

namespace PrivateVlm.ModelHost;

/// <summary>
/// One run of `privatevlm model-host`: listen first (so /health says 503 "Loading model" while the weights load, as
/// llama-server does), load, serve until stopped (SIGTERM), then finish or cancel what is in flight and exit 0.
/// Exit codes: 0 stopped cleanly, 1 the model could not be loaded, 2 bad options (a non-loopback host, a port in use).
/// </summary>
public static partial class ModelHostRun
{
    /// <summary>Native log lines per second that reach the log (the supervisor bounds what it copies too).</summary>
    private const int NativeLinesPerSecond = 20;

    public static async Task<int> RunAsync(ModelHostOptions options, ILoggerFactory loggers, TimeProvider time, CancellationToken stoppingToken)
    {
        var logger = loggers.CreateLogger("PrivateVlm.ModelHost");
        if (Problem(options) is { } problem)
        {
            LogRefused(logger, problem);
            return 2;
        }

        var endpoint = new ModelHostEndpoint(options, logger, time);
        WebApplication site;
        try
        {
            site = await endpoint.StartAsync(stoppingToken);
        }
        catch (IOException e)
        {
            LogRefused(logger, $"cannot listen on {options.Host}:{options.Port}: {e.Message}");
            return 2;
        }

        await using (site)
        {
            LogListening(logger, options.Host, options.Port, options.ModelId);

            NativeLogRouting.RouteLlama(loggers.CreateLogger("PrivateVlm.ModelHost.Native"), NativeLinesPerSecond, time);
            VisionModel model;
            try
            {
                model = await Task.Run(() =>
                {
                    if (!NativeLogRouting.RouteMtmd())
                    {
                        LogMtmdUnrouted(logger);
                    }

                    return VisionModel.Load(options, logger);
                }, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await site.StopAsync(CancellationToken.None);
                return 0;
            }
            catch (Exception e)
            {
                LogLoadFailed(logger, e.Message, e);
                await site.StopAsync(CancellationToken.None);
                return 1;
            }

            using (model)
            {
                await using var loop = new InferenceLoop(model, logger, time);
                endpoint.Ready(model, loop);
                LogReady(logger, options.ModelId, options.Parallel, options.SlotContext);
                await StoppedAsync(stoppingToken);
                LogStopping(logger);

                // Requests in flight see the stop and end (an answer, or 503 "stopping") before the engine goes.
                await site.StopAsync(CancellationToken.None);
            }
        }

        return 0;
    }

    private static async Task StoppedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Why these options cannot run, or null.</summary>
    public static string? Problem(ModelHostOptions options)
    {
        var loopback = options.Host == "localhost" || (IPAddress.TryParse(options.Host, out var address) && IPAddress.IsLoopback(address));
        if (!loopback)
        {
            return $"--host {options.Host} is not a loopback address: the model host serves this machine only (127.0.0.1 or ::1)";
        }

        if (options.Port is < 1 or > 65535)
        {
            return $"--port {options.Port} is not a TCP port";
        }

        if (options.Parallel < 1 || options.ContextSize < 256)
        {
            return "--parallel must be at least 1 and --ctx-size at least 256";
        }

        return options.MaxStringLength < 1 ? "--max-string-length must be at least 1" : null;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "model host refused to start: {Problem}")]
    private static partial void LogRefused(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "listening on http://{Host}:{Port} (503 Loading model until {Model} is loaded)")]
    private static partial void LogListening(ILogger logger, string host, int port, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "ready: {Model}, {Parallel} parallel sequence(s) of {SlotContext} tokens")]
    private static partial void LogReady(ILogger logger, string model, int parallel, int slotContext);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopping: requests in flight are cancelled")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "model could not be loaded: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "mtmd's log could not be routed (its library exports no mtmd_log_set): image-encoder lines go to stderr as printed")]
    private static partial void LogMtmdUnrouted(ILogger logger);
}
