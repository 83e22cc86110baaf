using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PrivateVlm.ModelServers;

/// <summary>What a model server's endpoint said when asked.</summary>
public enum EndpointAnswer
{
    /// <summary>Not asked (no endpoint, or not allowed to be contacted).</summary>
    NotAsked,

    /// <summary>GET /health 200 {"status":"ok"}.</summary>
    Ok,

    /// <summary>Accepting connections but still loading: 503 (llama-server, vLLM) or a 200 whose status is not ok.</summary>
    Loading,

    /// <summary>Nothing listens: down, or a server that opens its port only once loaded (mlx_vlm, vLLM).</summary>
    Refused,

    /// <summary>Answered with an error, answered something unusable (a body over the cap) or closed the connection.</summary>
    Failing,

    /// <summary>Accepted the connection but gave no answer within the probe's time limit: a wedged server.</summary>
    Unresponsive,
}

/// <summary>What one health question found.</summary>
/// <param name="Kind">The server kind that answered, when known (<see cref="ServerReadiness"/>).</param>
/// <param name="ModelLoaded">Servers that list loaded models (Ollama /api/ps, LM Studio /api/v1/models, mlx_vlm
/// loaded_model): whether the tier's model (any model when none is configured) is in memory; null when not said.</param>
/// <param name="LoadedModel">The model such a server has loaded, when it says.</param>
public sealed record EndpointProbe(
    EndpointAnswer Answer, string Detail, ModelServerKind Kind = ModelServerKind.Auto, bool? ModelLoaded = null, string? LoadedModel = null);

/// <summary>A GET answered with a status and a body within the cap, or the failure that stopped it.</summary>
public sealed record HttpAnswer(HttpStatusCode Status, string Body)
{
    public bool IsJsonObject(out JsonElement root)
    {
        try
        {
            using var document = JsonDocument.Parse(Body);
            root = document.RootElement.Clone();
            return root.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            root = default;
            return false;
        }
    }
}

/// <summary>
/// The three questions health and supervision ask a llama-server-like endpoint: is it up (GET /health), are all its
/// slots taken (GET /slots?fail_on_no_slot=1), and can it really generate (a one-token text-only chat completion:
/// a broken install can pass /health and fail every inference). Only loopback or allow-listed hosts are asked; no
/// photo is ever sent from here.
/// </summary>
public sealed class ModelServerProbe(HttpClient http)
{
    /// <summary>Time limit of GET /health and /slots, headers and body together.</summary>
    public static readonly TimeSpan QuickQuestion = TimeSpan.FromSeconds(2);

    /// <summary>Largest /health body read: llama-server's is 15 bytes; more means something else answers.</summary>
    public const int MaxHealthBytes = 64 * 1024;

    /// <summary>Largest warm-up or /v1/models body read: a one-token answer or a model list is a few KB.</summary>
    public const int MaxAnswerBytes = 1024 * 1024;

    private static readonly TimeSpan WarmUpLimit = TimeSpan.FromMinutes(2);

    /// <summary>No proxy, no redirects, no decompression, short connect timeout: a loopback server answers at once or
    /// not at all. Bodies are read with <see cref="ReadCappedAsync"/>; the buffer limit is a second guard.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
        MaxResponseContentBufferSize = MaxAnswerBytes,
    };

    /// <summary>
    /// GET <paramref name="url"/> within <see cref="QuickQuestion"/>, reading at most <paramref name="maxBytes"/>:
    /// the answer, or (second) why there is none, as a refused, unresponsive or failing probe.
    /// </summary>
    public async Task<(HttpAnswer? Answer, EndpointProbe? Failure)> AskAsync(Uri url, string question, int maxBytes, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(QuickQuestion);
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            var body = await ReadCappedAsync(response, maxBytes, limit.Token);
            return body is null
                ? (null, new EndpointProbe(EndpointAnswer.Failing, $"{question} answered a body over {maxBytes / 1024} KB (stopped reading): not a model server's health check"))
                : (new HttpAnswer(response.StatusCode, body), null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or IOException)
        {
            return (null, Failure(e, question));
        }
    }

    /// <summary>llama-server's GET /health (or a supervised server's configured health URL).</summary>
    public async Task<EndpointProbe> HealthAsync(Uri healthUrl, CancellationToken cancellationToken)
    {
        var (answer, failure) = await AskAsync(healthUrl, "GET /health", MaxHealthBytes, cancellationToken);
        return answer is null ? failure! : LlamaServerHealth(answer);
    }

    /// <summary>What a llama-server /health answer means: 200 {"status":"ok"} up, 503 loading.</summary>
    public static EndpointProbe LlamaServerHealth(HttpAnswer answer)
    {
        if (answer.Status == HttpStatusCode.ServiceUnavailable)
        {
            return new EndpointProbe(EndpointAnswer.Loading, $"/health 503 {ErrorMessage(answer.Body) ?? "loading"}", ModelServerKind.LlamaServer);
        }

        if (answer.Status != HttpStatusCode.OK)
        {
            return new EndpointProbe(EndpointAnswer.Failing, $"/health answered HTTP {(int)answer.Status}", ModelServerKind.LlamaServer);
        }

        var status = StatusField(answer.Body);
        return status is "ok" or "healthy"
            ? new EndpointProbe(EndpointAnswer.Ok, "/health ok", ModelServerKind.LlamaServer)
            : new EndpointProbe(EndpointAnswer.Loading, $"/health 200 with status '{status ?? "(none)"}'", ModelServerKind.LlamaServer);
    }

    /// <summary>True when llama-server says every slot is taken (503), false when one is free, null when the server
    /// has no such endpoint (Ollama, vLLM, llama-server --no-slots) or did not answer.</summary>
    public async Task<bool?> SlotsFullAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(QuickQuestion);
        try
        {
            using var response = await http.GetAsync(new Uri(endpoint, "slots?fail_on_no_slot=1"), HttpCompletionOption.ResponseHeadersRead, limit.Token);
            return response.StatusCode switch
            {
                HttpStatusCode.OK => false,
                HttpStatusCode.ServiceUnavailable => true,
                _ => null,
            };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// One chat completion of one token, text only (the configured model, else the first of GET /v1/models).
    /// Null when it succeeded, otherwise why not.
    /// </summary>
    public async Task<string?> WarmUpAsync(Uri endpoint, string? model, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(WarmUpLimit);
        try
        {
            model ??= await DiscoverModelAsync(endpoint, limit.Token);
            if (model is null)
            {
                return "GET /v1/models lists no model";
            }

            var body = JsonSerializer.Serialize(new
            {
                model,
                messages = new[] { new { role = "user", content = "Say OK." } },
                max_tokens = 1,
                temperature = 0,
                stream = false,
            });
            using var content = new StringContent(body, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "v1/chat/completions")) { Content = content };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            var answer = await ReadCappedAsync(response, MaxAnswerBytes, limit.Token);
            if (answer is null)
            {
                return $"warm-up completion answered a body over {MaxAnswerBytes / 1024 / 1024} MB (stopped reading)";
            }

            if (!response.IsSuccessStatusCode)
            {
                return $"warm-up completion answered HTTP {(int)response.StatusCode}: {ErrorMessage(answer) ?? "(no message)"}";
            }

            using var document = JsonDocument.Parse(answer);
            return document.RootElement.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                ? null
                : "warm-up completion answered 200 without choices";
        }
        catch (JsonException e)
        {
            return "warm-up completion answered something that is not JSON: " + e.Message;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or IOException)
        {
            return "warm-up completion failed: " + Failure(e, "the warm-up completion", WarmUpLimit).Detail;
        }
    }

    private async Task<string?> DiscoverModelAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(endpoint, "v1/models"), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var body = await ReadCappedAsync(response, MaxAnswerBytes, cancellationToken)
                   ?? throw new JsonException($"GET /v1/models answered a body over {MaxAnswerBytes / 1024 / 1024} MB");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray()
                .Select(m => m.TryGetProperty("id", out var id) ? id.GetString() : null)
                .FirstOrDefault(id => !string.IsNullOrEmpty(id))
            : null;
    }

    /// <summary>
    /// The body as text, or null when it is longer than <paramref name="maxBytes"/>: reading stops there, so a server
    /// streaming gigabytes costs at most the cap (llama-server answers /health in 15 bytes at 2 GB/s over loopback,
    /// so an unbounded read of a broken one would buffer gigabytes within the probe's two seconds).
    /// </summary>
    public static async Task<string?> ReadCappedAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        using var body = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > maxBytes)
            {
                return null;
            }

            body.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
    }

    private static EndpointProbe Failure(Exception e, string question, TimeSpan? limit = null) => e switch
    {
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
            new EndpointProbe(EndpointAnswer.Refused, "connection refused"),
        // Connected (a loopback connect is refused or done in microseconds) and then nothing: the server is wedged.
        OperationCanceledException => new EndpointProbe(EndpointAnswer.Unresponsive,
            $"{question} got no answer within {(limit ?? QuickQuestion).TotalSeconds:0.#} s"),
        _ => new EndpointProbe(EndpointAnswer.Failing, $"{question} failed: {e.Message}"),
    };

    public static string? StatusField(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("status", out var s)
                ? s.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? ErrorMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("error", out var error)
                   && error.ValueKind == JsonValueKind.Object
                   && error.TryGetProperty("message", out var message)
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
