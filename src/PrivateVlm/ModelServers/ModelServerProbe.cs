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

    /// <summary>Answered with an error, timed out or closed the connection.</summary>
    Failing,
}

public sealed record EndpointProbe(EndpointAnswer Answer, string Detail);

/// <summary>
/// The three questions health and supervision ask a llama-server-like endpoint: is it up (GET /health), are all its
/// slots taken (GET /slots?fail_on_no_slot=1), and can it really generate (a one-token text-only chat completion:
/// a broken install can pass /health and fail every inference). Only loopback or allow-listed hosts are asked; no
/// photo is ever sent from here.
/// </summary>
public sealed class ModelServerProbe(HttpClient http)
{
    private static readonly TimeSpan QuickQuestion = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WarmUpLimit = TimeSpan.FromMinutes(2);

    /// <summary>No proxy, no redirects, short connect timeout: a loopback server answers at once or not at all.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<EndpointProbe> HealthAsync(Uri healthUrl, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(QuickQuestion);
        try
        {
            using var response = await http.GetAsync(healthUrl, limit.Token);
            var body = await response.Content.ReadAsStringAsync(limit.Token);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return new EndpointProbe(EndpointAnswer.Loading, $"/health 503 {ErrorMessage(body) ?? "loading"}");
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new EndpointProbe(EndpointAnswer.Failing, $"/health answered HTTP {(int)response.StatusCode}");
            }

            var status = StatusField(body);
            return status is "ok" or "healthy"
                ? new EndpointProbe(EndpointAnswer.Ok, "/health ok")
                : new EndpointProbe(EndpointAnswer.Loading, $"/health 200 with status '{status ?? "(none)"}'");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or IOException)
        {
            return Failure(e);
        }
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
            using var response = await http.PostAsync(new Uri(endpoint, "v1/chat/completions"), content, limit.Token);
            var answer = await response.Content.ReadAsStringAsync(limit.Token);
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
            return "warm-up completion failed: " + Failure(e).Detail;
        }
    }

    private async Task<string?> DiscoverModelAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(endpoint, "v1/models"), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray()
                .Select(m => m.TryGetProperty("id", out var id) ? id.GetString() : null)
                .FirstOrDefault(id => !string.IsNullOrEmpty(id))
            : null;
    }

    private static EndpointProbe Failure(Exception e) => e switch
    {
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
            new EndpointProbe(EndpointAnswer.Refused, "connection refused"),
        OperationCanceledException => new EndpointProbe(EndpointAnswer.Failing, $"no answer within {QuickQuestion.TotalSeconds:0} s"),
        _ => new EndpointProbe(EndpointAnswer.Failing, "connection failed: " + e.Message),
    };

    private static string? StatusField(string body)
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

    private static string? ErrorMessage(string body)
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
