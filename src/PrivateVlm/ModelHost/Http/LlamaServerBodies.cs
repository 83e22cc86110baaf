using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using PrivateVlm.ModelHost.Engine;

namespace PrivateVlm.ModelHost.Http;

/// <summary>
/// Response bodies in llama-server's shapes (see shared/reference/llama-server-transcripts), so every client that
/// speaks to llama-server, the daemon's ChatCompletionsClient first, reads this host the same way.
/// </summary>
public static class LlamaServerBodies
{
    public static byte[] Completion(Generation generation, string model, DateTimeOffset created) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteString("finish_reason", generation.FinishReason);
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        json.WriteString("content", generation.Text);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteNumber("created", created.ToUnixTimeSeconds());
        json.WriteString("model", model);
        json.WriteString("system_fingerprint", "privatevlm-model-host");
        json.WriteString("object", "chat.completion");
        json.WriteStartObject("usage");
        json.WriteNumber("completion_tokens", generation.PredictedTokens);
        json.WriteNumber("prompt_tokens", generation.PromptTokens);
        json.WriteNumber("total_tokens", generation.PromptTokens + generation.PredictedTokens);
        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", generation.CachedTokens);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteString("id", "chatcmpl-" + RandomNumberGenerator.GetHexString(32, lowercase: true));
        json.WriteStartObject("timings");
        json.WriteNumber("cache_n", generation.CachedTokens);
        json.WriteNumber("prompt_n", generation.EvaluatedTokens);
        json.WriteNumber("prompt_ms", Math.Round(generation.PromptMs, 3));
        json.WriteNumber("prompt_per_token_ms", PerToken(generation.PromptMs, generation.EvaluatedTokens));
        json.WriteNumber("prompt_per_second", PerSecond(generation.EvaluatedTokens, generation.PromptMs));
        json.WriteNumber("predicted_n", generation.PredictedTokens);
        json.WriteNumber("predicted_ms", Math.Round(generation.PredictedMs, 3));
        json.WriteNumber("predicted_per_token_ms", PerToken(generation.PredictedMs, generation.PredictedTokens));
        json.WriteNumber("predicted_per_second", PerSecond(generation.PredictedTokens, generation.PredictedMs));
        // Not in llama-server's timings: the image's share of prompt_n, for the resolution ladder.
        json.WriteNumber("image_n", generation.ImageTokens);
        json.WriteEndObject();
        json.WriteEndObject();
    });

    public static byte[] Models(string model, DateTimeOffset created) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        json.WriteStartObject();
        json.WriteString("id", model);
        json.WriteString("object", "model");
        json.WriteNumber("created", created.ToUnixTimeSeconds());
        json.WriteString("owned_by", "privatevlm");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    });

    public static byte[] Ok { get; } = """{"status":"ok"}"""u8.ToArray();

    public static byte[] Loading { get; } = Error(503, "Loading model", "unavailable_error");

    public static byte[] Error(int code, string message, string type, int? promptTokens = null, int? contextTokens = null) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteNumber("code", code);
        json.WriteString("message", message);
        json.WriteString("type", type);
        if (promptTokens is { } p)
        {
            json.WriteNumber("n_prompt_tokens", p);
        }

        if (contextTokens is { } c)
        {
            json.WriteNumber("n_ctx", c);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    });

    public static byte[] Slots(int total, int processing) => Write(json =>
    {
        json.WriteStartArray();
        for (var i = 0; i < total; i++)
        {
            json.WriteStartObject();
            json.WriteNumber("id", i);
            json.WriteBoolean("is_processing", i < processing);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    });

    public static byte[] Props(string model, int totalSlots, string mediaMarker) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("model_alias", model);
        json.WriteNumber("total_slots", totalSlots);
        json.WriteStartObject("modalities");
        json.WriteBoolean("vision", true);
        json.WriteBoolean("audio", false);
        json.WriteEndObject();
        json.WriteString("media_marker", mediaMarker);
        json.WriteEndObject();
    });

    private static double PerToken(double ms, int tokens) => tokens > 0 ? ms / tokens : 0;

    private static double PerSecond(int tokens, double ms) => ms > 0 ? tokens * 1000.0 / ms : 0;

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            body(json);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
