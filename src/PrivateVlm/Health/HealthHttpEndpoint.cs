using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.Health;

/// <summary>
/// GET http://127.0.0.1:PORT/health: the tiers' health checks as JSON, 200 when healthy or degraded and 503 when
/// unhealthy, for a monitoring tool on the same machine. Off unless Health:HttpPort is set; loopback only. A plain
/// HttpListener keeps the idle daemon small (no web framework for one route).
/// </summary>
public sealed partial class HealthHttpEndpoint(HealthCheckService checks, HealthOptions options, ILogger<HealthHttpEndpoint> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.HttpPort is not { } port)
        {
            return;
        }

        using var listener = new HttpListener();
        var prefix = $"http://{options.HttpAddress}:{port}/health/";
        listener.Prefixes.Add(prefix);
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            // A taken port must not stop photo ingestion: the table and `privatevlm health` still work.
            LogCannotListen(logger, prefix, e.Message);
            return;
        }

        LogListening(logger, prefix);
        await using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException && stoppingToken.IsCancellationRequested)
            {
                break;
            }

            await AnswerAsync(context, stoppingToken);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        using var response = context.Response;
        try
        {
            if (context.Request.HttpMethod is not ("GET" or "HEAD"))
            {
                response.StatusCode = 405;
                return;
            }

            var report = await checks.CheckHealthAsync(cancellationToken);
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                status = report.Status.ToString().ToLowerInvariant(),
                tiers = report.Entries.ToDictionary(
                    e => e.Key,
                    e => new
                    {
                        state = e.Value.Data.TryGetValue("state", out var state) ? state : e.Value.Status.ToString().ToLowerInvariant(),
                        detail = e.Value.Description,
                        process_id = e.Value.Data.TryGetValue("process_id", out var pid) ? pid : null,
                        since = e.Value.Data.TryGetValue("since", out var since) ? since : null,
                    }),
            });
            response.StatusCode = report.Status == HealthStatus.Unhealthy ? 503 : 200;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body, cancellationToken);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or OperationCanceledException)
        {
            // The client went away or the daemon is stopping; nothing to answer.
        }
    }

    [LoggerMessage(EventId = 4411, Level = LogLevel.Error, Message = "Cannot serve tier health at {Prefix}: {Reason}; `privatevlm health` still works")]
    private static partial void LogCannotListen(ILogger logger, string prefix, string reason);

    [LoggerMessage(EventId = 4410, Level = LogLevel.Information, Message = "Serving tier health at {Prefix}")]
    private static partial void LogListening(ILogger logger, string prefix);
}
