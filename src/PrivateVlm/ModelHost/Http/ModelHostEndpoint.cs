using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PrivateVlm.ModelHost.Engine;
using PrivateVlm.ModelHost.Grammar;

namespace PrivateVlm.ModelHost.Http;

/// <summary>
/// The host's loopback HTTP side, llama-server's subset: GET /health, GET /v1/models, POST /v1/chat/completions, and
/// GET /props and /slots for the supervisor's busy check. Every route answers 503 "Loading model" until the model is
/// loaded. Kestrel, as the viewer uses: .NET's HttpListener on Linux and macOS dies in Start() when a client connects
/// while it starts (dotnet/corefx#35191), which the daemon's supervisor, polling /health from the moment it spawns the
/// host, made happen, and it drops kept-alive connections a client is about to reuse.
/// </summary>
public sealed partial class ModelHostEndpoint(ModelHostOptions options, ILogger logger, TimeProvider time)
{
    /// <summary>A 1024-px JPEG is ~0.3 MB as base64; 64 MB leaves room for a PNG at the deep tier's budget.</summary>
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    private readonly DateTimeOffset _created = time.GetUtcNow();
    private volatile InferenceLoop? _loop;
    private VisionModel? _model;

    /// <summary>Switches every route from 503 "Loading model" to serving.</summary>
    public void Ready(VisionModel model, InferenceLoop loop)
    {
        _model = model;
        _loop = loop;
    }

    /// <summary>Listens on the loopback port and answers until the returned site is stopped; requests in flight when
    /// <paramref name="stoppingToken"/> fires are answered 503 "stopping" or finish, and stopping waits for them.</summary>
    /// <exception cref="IOException">The port is taken or cannot be bound.</exception>
    public async Task<WebApplication> StartAsync(CancellationToken stoppingToken)
    {
        var address = options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(address, options.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // ReadBodyAsync answers 413 in llama-server's shape
        });
        var site = builder.Build();
        site.Run(context => AnswerAsync(context, stoppingToken));
        await site.StartAsync(CancellationToken.None);
        return site;
    }

    private async Task AnswerAsync(HttpContext context, CancellationToken stoppingToken)
    {
        var (status, body) = (404, LlamaServerBodies.Error(404, "File Not Found", "not_found_error"));
        try
        {
            (status, body) = await RouteAsync(context.Request, stoppingToken);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogUnexpected(logger, context.Request.Path.Value ?? "?", e);
            (status, body) = (500, LlamaServerBodies.Error(500, e.Message, "server_error"));
        }

        try
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away; nothing to tell it.
        }
    }

    private async Task<(int, byte[])> RouteAsync(HttpRequest request, CancellationToken stoppingToken)
    {
        var path = request.Path.Value?.TrimEnd('/') ?? "";
        var loop = _loop;
        if (loop is null || _model is null)
        {
            return (503, LlamaServerBodies.Loading);
        }

        return (request.Method, path) switch
        {
            ("GET", "/health") => (200, LlamaServerBodies.Ok),
            ("GET", "/v1/models" or "/models") => (200, LlamaServerBodies.Models(options.ModelId, _created)),
            ("GET", "/props") => (200, LlamaServerBodies.Props(options.ModelId, options.Parallel, _model.MediaMarker)),
            ("GET", "/slots") => Slots(request, loop),
            ("POST", "/v1/chat/completions" or "/chat/completions") => await CompleteAsync(request, loop, _model, stoppingToken),
            (_, "/health" or "/v1/models" or "/props" or "/slots" or "/v1/chat/completions") => (405, LlamaServerBodies.Error(405, "Method Not Allowed", "invalid_request_error")),
            _ => (404, LlamaServerBodies.Error(404, "File Not Found", "not_found_error")),
        };
    }

    private (int, byte[]) Slots(HttpRequest request, InferenceLoop loop)
    {
        var processing = loop.ActiveCount;
        return request.Query["fail_on_no_slot"] == "1" && processing >= options.Parallel
            ? (503, LlamaServerBodies.Error(503, "no slot available", "unavailable_error"))
            : (200, LlamaServerBodies.Slots(options.Parallel, processing));
    }

    private async Task<(int, byte[])> CompleteAsync(HttpRequest request, InferenceLoop loop, VisionModel model, CancellationToken stoppingToken)
    {
        var body = await ReadBodyAsync(request, stoppingToken);
        if (body is null)
        {
            return (413, LlamaServerBodies.Error(413, $"request body over {MaxBodyBytes / (1024 * 1024)} MB", "invalid_request_error"));
        }

        try
        {
            var limits = GrammarLimits.Default with { MaxStringLength = options.MaxStringLength };
            var generationRequest = ChatCompletionRequestReader.Read(body, model.MediaMarker, limits, options.SlotContext);
            var generation = await loop.GenerateAsync(generationRequest, stoppingToken);
            LogAnswered(logger, generation.FinishReason, generation.PromptTokens, generation.CachedTokens, generation.PredictedTokens, generation.PromptMs, generation.PredictedMs);
            return (200, LlamaServerBodies.Completion(generation, options.ModelId, time.GetUtcNow()));
        }
        catch (BadRequestException e)
        {
            return (400, LlamaServerBodies.Error(400, e.Message, "invalid_request_error"));
        }
        catch (ArgumentException e)
        {
            return (400, LlamaServerBodies.Error(400, e.Message, "invalid_request_error"));
        }
        catch (ImageUnreadableException e)
        {
            LogImageRejected(logger, e.Message);
            // llama-server's exact message: the daemon's client and users' scripts match on it.
            return (400, LlamaServerBodies.Error(400, "Failed to load image or audio file", "invalid_request_error"));
        }
        catch (ContextExceededException e)
        {
            return (400, LlamaServerBodies.Error(400, e.Message, "exceed_context_size_error", e.PromptTokens, e.ContextTokens));
        }
        catch (EngineFailureException e)
        {
            return (500, LlamaServerBodies.Error(500, e.Message, "server_error"));
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && stoppingToken.IsCancellationRequested)
        {
            return (503, LlamaServerBodies.Error(503, "the model host is stopping", "unavailable_error"));
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is long length and > 0 ? (int)length : 64 * 1024);
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "completion {FinishReason}: {PromptTokens} prompt tokens ({CachedTokens} cached), {PredictedTokens} generated; prompt {PromptMs:0} ms, generation {PredictedMs:0} ms")]
    private static partial void LogAnswered(ILogger logger, string finishReason, int promptTokens, int cachedTokens, int predictedTokens, double promptMs, double predictedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "image rejected: {Reason}")]
    private static partial void LogImageRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "request to {Path} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string path, Exception exception);
}
