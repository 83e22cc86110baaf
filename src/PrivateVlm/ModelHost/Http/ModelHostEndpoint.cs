using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using PrivateVlm.ModelHost.Engine;
using PrivateVlm.ModelHost.Grammar;

namespace PrivateVlm.ModelHost.Http;

/// <summary>
/// The host's loopback HTTP side, llama-server's subset: GET /health, GET /v1/models, POST /v1/chat/completions, and
/// GET /props and /slots for the supervisor's busy check. Every route answers 503 "Loading model" until the model is
/// loaded. A plain HttpListener like Health/HealthHttpEndpoint: one client (the daemon) on loopback needs no web
/// framework, and the executable keeps needing only the base .NET runtime.
/// </summary>
public sealed partial class ModelHostEndpoint(ModelHostOptions options, ILogger logger, TimeProvider time)
{
    /// <summary>A 1024-px JPEG is ~0.3 MB as base64; 64 MB leaves room for a PNG at the deep tier's budget.</summary>
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly DateTimeOffset _created = time.GetUtcNow();
    private volatile InferenceLoop? _loop;
    private VisionModel? _model;

    /// <summary>Switches every route from 503 "Loading model" to serving.</summary>
    public void Ready(VisionModel model, InferenceLoop loop)
    {
        _model = model;
        _loop = loop;
    }

    /// <summary>Answers until <paramref name="stoppingToken"/> fires, then waits for the requests in flight.</summary>
    /// <exception cref="HttpListenerException">The port is taken or cannot be bound.</exception>
    public async Task RunAsync(HttpListener listener, CancellationToken stoppingToken)
    {
        await using (stoppingToken.Register(listener.Stop))
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException && stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                var task = AnswerAsync(context, stoppingToken);
                _inFlight.TryAdd(task, 0);
                _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
            }
        }

        await Task.WhenAll(_inFlight.Keys);
    }

    public static HttpListener Listen(ModelHostOptions options)
    {
        var host = IPAddress.TryParse(options.Host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{address}]"
            : options.Host == "localhost" ? "127.0.0.1" : options.Host;
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://{host}:{options.Port}/");
        listener.Start();
        return listener;
    }

    private async Task AnswerAsync(HttpListenerContext context, CancellationToken stoppingToken)
    {
        // Off the accept loop at once: a completion takes seconds and other requests must still be answered.
        await Task.Yield();
        using var response = context.Response;
        var (status, body) = (404, LlamaServerBodies.Error(404, "File Not Found", "not_found_error"));
        try
        {
            (status, body) = await RouteAsync(context.Request, stoppingToken);
        }
        catch (Exception e)
        {
            LogUnexpected(logger, context.Request.Url?.AbsolutePath ?? "?", e);
            (status, body) = (500, LlamaServerBodies.Error(500, e.Message, "server_error"));
        }

        try
        {
            response.StatusCode = status;
            response.ContentType = "application/json; charset=utf-8";
            // One connection per request: HttpListener's managed implementation times out a kept-alive connection
            // waiting for its next request, and a client reusing it at that moment loses the request ("response ended
            // prematurely", "broken pipe": 3 times in ~150 benchmark requests). A loopback connect costs far less than
            // one photo's seconds of inference.
            response.KeepAlive = false;
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body, CancellationToken.None);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away; nothing to tell it.
        }
    }

    private async Task<(int, byte[])> RouteAsync(HttpListenerRequest request, CancellationToken stoppingToken)
    {
        var path = request.Url?.AbsolutePath.TrimEnd('/') ?? "";
        var loop = _loop;
        if (loop is null || _model is null)
        {
            return (503, LlamaServerBodies.Loading);
        }

        return (request.HttpMethod, path) switch
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

    private (int, byte[]) Slots(HttpListenerRequest request, InferenceLoop loop)
    {
        var processing = loop.ActiveCount;
        return request.QueryString["fail_on_no_slot"] == "1" && processing >= options.Parallel
            ? (503, LlamaServerBodies.Error(503, "no slot available", "unavailable_error"))
            : (200, LlamaServerBodies.Slots(options.Parallel, processing));
    }

    private async Task<(int, byte[])> CompleteAsync(HttpListenerRequest request, InferenceLoop loop, VisionModel model, CancellationToken stoppingToken)
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

    private static async Task<byte[]?> ReadBodyAsync(HttpListenerRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength64 > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength64 > 0 ? (int)request.ContentLength64 : 64 * 1024);
        var chunk = new byte[81920];
        int read;
        while ((read = await request.InputStream.ReadAsync(chunk, cancellationToken)) > 0)
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
