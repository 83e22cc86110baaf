using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Vlm.Protocol;

/// <summary>
/// Speaks the OpenAI-compatible chat-completions protocol that llama-server, Ollama (/v1), mlx_vlm.server, LM Studio
/// and vLLM share: one request shape that works on all of them, and every way they fail mapped onto
/// <see cref="ModelServerFailure"/>. Stateless apart from the discovered model ids; retries live in the tier.
/// </summary>
public sealed class ChatCompletionsClient(HttpClient http, PhotoEgressGuard egress, VlmOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Uri, string> _discoveredModels = new();

    /// <summary>An HttpClient for model servers: no proxy and no redirects (either could carry a photo elsewhere),
    /// no client-wide timeout (each tier sets its own per attempt).</summary>
    public static HttpClient CreateHttpClient(VlmOptions options) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = options.ConnectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The configured id wins; otherwise the first id of GET /v1/models, cached per endpoint.</summary>
    public async Task<string> ResolveModelAsync(Uri endpoint, string? configured, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        if (_discoveredModels.TryGetValue(endpoint, out var known))
        {
            return known;
        }

        egress.EnsureAllowed(endpoint);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, "v1/models"));
        var body = await SendAsync(request, endpoint, cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(body);
            var id = document.RootElement.GetProperty("data").EnumerateArray()
                .Select(m => m.GetProperty("id").GetString())
                .FirstOrDefault(i => !string.IsNullOrEmpty(i));
            if (id is null)
            {
                throw new ModelServerException(ModelServerFailure.ModelNotFound, endpoint, "GET /v1/models lists no model");
            }

            return _discoveredModels.GetOrAdd(endpoint, id);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ModelServerException(ModelServerFailure.BadRequest, endpoint, "GET /v1/models answered something that is not a model list", e);
        }
    }

    /// <summary>
    /// One chat completion: the fixed system prompt, then the fixed user text and the JPEG last, so servers reuse the
    /// cached prefix up to the image. Returns the HTTP 200 answer unjudged; every other outcome throws
    /// <see cref="ModelServerException"/>.
    /// </summary>
    public async Task<CompletionReply> CompleteAsync(
        Uri endpoint, string model, PromptVersion prompt, ReadOnlyMemory<byte> jpeg, int maxTokens, int seed, CancellationToken cancellationToken)
    {
        if (jpeg.Length < 3 || jpeg.Span[0] != 0xFF || jpeg.Span[1] != 0xD8 || jpeg.Span[2] != 0xFF)
        {
            throw new ArgumentException("model servers are sent JPEG only (llama-server's stb_image reads no HEIC or WebP)", nameof(jpeg));
        }

        egress.EnsureAllowed(endpoint);
        var started = time.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "v1/chat/completions"))
        {
            Content = RequestBody(model, prompt, jpeg.Span, maxTokens, seed),
        };
        var body = await SendAsync(request, endpoint, cancellationToken);
        var wallMs = time.GetElapsedTime(started).TotalMilliseconds;
        return ParseReply(body, endpoint, wallMs);
    }

    /// <summary>The image as a data URI, base64-encoded straight into UTF-8 (no UTF-16 string of the whole photo).</summary>
    private static void WriteDataUri(Utf8JsonWriter json, ReadOnlySpan<byte> jpeg)
    {
        ReadOnlySpan<byte> prefix = "data:image/jpeg;base64,"u8;
        var length = prefix.Length + System.Buffers.Text.Base64.GetMaxEncodedToUtf8Length(jpeg.Length);
        var uri = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            prefix.CopyTo(uri);
            System.Buffers.Text.Base64.EncodeToUtf8(jpeg, uri.AsSpan(prefix.Length), out _, out var written);
            json.WriteString("url"u8, uri.AsSpan(0, prefix.Length + written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(uri);
        }
    }

    private static ReadOnlyMemoryContent RequestBody(string model, PromptVersion prompt, ReadOnlySpan<byte> jpeg, int maxTokens, int seed)
    {
        var buffer = new ArrayBufferWriter<byte>(jpeg.Length * 4 / 3 + 16 * 1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteStartArray("messages");
            json.WriteStartObject();
            json.WriteString("role", "system");
            json.WriteString("content", prompt.SystemText);
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteStartArray("content");
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", prompt.UserText);
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteString("type", "image_url");
            json.WriteStartObject("image_url");
            WriteDataUri(json, jpeg);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("response_format");
            json.WriteString("type", "json_schema");
            json.WriteStartObject("json_schema");
            json.WriteString("name", prompt.SchemaName);
            json.WriteBoolean("strict", true);
            json.WritePropertyName("schema");
            prompt.Schema.WriteTo(json);
            json.WriteEndObject();
            json.WriteEndObject();
            // Server defaults differ (Ollama /v1 samples at 1.0, llama-server at 0.8): always say what we want.
            json.WriteNumber("temperature", 0);
            json.WriteNumber("top_p", 1);
            json.WriteNumber("seed", seed);
            json.WriteNumber("max_tokens", maxTokens);
            json.WriteBoolean("stream", false);
            json.WriteEndObject();
        }

        var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private async Task<byte[]> SendAsync(HttpRequestMessage request, Uri endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var body = await BoundedBody.ReadAsync(response, options.MaxResponseBytes, endpoint, cancellationToken);
            return response.IsSuccessStatusCode ? body : throw ErrorFor(response.StatusCode, body, endpoint);
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            var refused = e.HttpRequestError == HttpRequestError.ConnectionError
                          && e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
            throw refused
                ? new ModelServerException(ModelServerFailure.ConnectionRefused, endpoint, "connection refused: the model server is down or still starting", e)
                : new ModelServerException(ModelServerFailure.ConnectionLost, endpoint, $"connection to the model server failed ({e.HttpRequestError}): {e.Message}", e);
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModelServerException(ModelServerFailure.ConnectionLost, endpoint, "the model server closed the connection mid-answer: " + e.Message, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Not our token: SocketsHttpHandler gave up connecting (ConnectTimeout), e.g. an allow-listed host is off.
            throw new ModelServerException(ModelServerFailure.Timeout, endpoint,
                $"could not connect within {options.ConnectTimeout.TotalSeconds:0.#} s", e);
        }
    }

    private static ModelServerException ErrorFor(HttpStatusCode status, byte[] body, Uri endpoint)
    {
        string? message = null;
        string? type = null;
        int? promptTokens = null;
        int? contextTokens = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.String)
                {
                    message = error.GetString(); // Ollama's native shape
                }
                else if (error.ValueKind == JsonValueKind.Object)
                {
                    message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                    type = error.TryGetProperty("type", out var t) ? t.GetString() : null;
                    promptTokens = error.TryGetProperty("n_prompt_tokens", out var n) && n.TryGetInt32(out var ni) ? ni : null;
                    contextTokens = error.TryGetProperty("n_ctx", out var c) && c.TryGetInt32(out var ci) ? ci : null;
                }
            }
        }
        catch (JsonException)
        {
            // A proxy or a crashing server may answer with HTML or nothing; the status alone decides below.
        }

        var code = (int)status;
        var detail = $"HTTP {code}{(type is null ? "" : " " + type)}: {message ?? "(no error message)"}";
        var failure = code switch
        {
            400 when type == "exceed_context_size_error" => ModelServerFailure.ContextExceeded,
            404 => ModelServerFailure.ModelNotFound,
            503 => ModelServerFailure.Loading,
            >= 500 => ModelServerFailure.ServerError,
            _ => ModelServerFailure.BadRequest,
        };
        return new ModelServerException(failure, endpoint, detail)
        {
            StatusCode = code,
            PromptTokens = promptTokens,
            ContextTokens = contextTokens,
        };
    }

    private static CompletionReply ParseReply(byte[] body, Uri endpoint, double wallMs)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var streamedError))
            {
                // Ollama can end a 200 with {"error":...}: a failure, not an answer.
                throw new ModelServerException(ModelServerFailure.GenerationError, endpoint, "HTTP 200 carrying an error: " + streamedError.GetRawText());
            }

            var choice = root.GetProperty("choices")[0];
            var content = choice.GetProperty("message").GetProperty("content").GetString() ?? "";
            var finish = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "unknown";
            var usage = root.TryGetProperty("usage", out var u) ? u : default;
            var timings = root.TryGetProperty("timings", out var t) ? t : default;
            var cached = Int(timings, "cache_n")
                         ?? (usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("prompt_tokens_details", out var d) ? Int(d, "cached_tokens") : null)
                         ?? 0;
            return new CompletionReply(
                content,
                finish,
                root.TryGetProperty("model", out var model) ? model.GetString() : null,
                new CallTimings(
                    PromptTokens: Int(usage, "prompt_tokens") ?? 0,
                    CachedTokens: cached,
                    PromptMs: Double(timings, "prompt_ms"),
                    GeneratedTokens: Int(usage, "completion_tokens") ?? Int(timings, "predicted_n") ?? 0,
                    TokensPerSecond: Double(timings, "predicted_per_second"),
                    WallMs: wallMs));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new ModelServerException(ModelServerFailure.InvalidJson, endpoint, "HTTP 200 whose body is not a chat completion: " + e.Message, e)
            {
                RawContent = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 4096)),
            };
        }
    }

    private static int? Int(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : null;

    private static double? Double(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.TryGetDouble(out var d) ? d : null;
}
