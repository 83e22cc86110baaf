using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateVlm.FakeModelServer.Dialects;
using PrivateVlm.FakeModelServer.Faults;
using PrivateVlm.FakeModelServer.Images;
using PrivateVlm.FakeModelServer.Slots;

namespace PrivateVlm.FakeModelServer.Completions;

/// <summary>POST /v1/chat/completions as llama-server (or the --dialect's server) answers it, with the scripted faults applied.</summary>
public sealed class ChatCompletionEndpoint(
    ServerSettings settings, FaultScript faults, SlotPool slots, FakeStats stats, ModelMemory memory, TimeProvider time)
{
    /// <summary>How every answer starts; the enormous and stalled answers begin the same way.</summary>
    private const string AnswerStart = "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"{";

    /// <summary>Reported for a request whose client hung up before any answer (nginx's 499).</summary>
    public const int ClientClosed = 499;

    // llama-server writes plain UTF-8; the default encoder's \u0022 escapes are valid but not what it sends.
    private static readonly JsonSerializerOptions Wire = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    public async Task HandleAsync(HttpContext http)
    {
        stats.CountChatRequest();
        var status = await AnswerAsync(http);
        stats.CountChatStatus(status);
        if (status == 200)
        {
            faults.NoteChatAnswered();
        }
    }

    private async Task<int> AnswerAsync(HttpContext http)
    {
        var aborted = http.RequestAborted;
        var fault = faults.TakeForChatRequest();
        if (fault is { Kind: FaultKind.Hang, Hang: HangStyle.Unread })
        {
            await FaultyAnswers.HangAsync(http, HangStyle.Unread, "", stats);
            return ClientClosed;
        }

        JsonObject request;
        try
        {
            request = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: aborted) as JsonObject
                      ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            return await FailAsync(http, 400, "Failed to parse the request body as JSON: " + e.Message, "invalid_request_error");
        }

        if (!TryReadPrompt(request, out var prompt, out var image, out var problem))
        {
            return await FailAsync(http, 400, problem, "invalid_request_error");
        }

        var schema = (request["response_format"] as JsonObject)?["json_schema"]?["schema"];
        if (schema is not null && ContainsRef(schema))
        {
            return await FailAsync(http, 400, "Unable to generate parser for this template. Automatic parser generation failed: JSON schema conversion failed", "invalid_request_error");
        }

        var requested = request["model"] is JsonValue m && m.TryGetValue<string>(out var named) && named.Length > 0 ? named : settings.ModelId;
        if (requested != settings.ModelId && DialectReply.UnknownModel(settings.Dialect, requested) is { } unknown)
        {
            return await FailAsync(http, 404, unknown, "not_found_error");
        }

        if (fault?.Kind == FaultKind.Status)
        {
            return await StatusFaultAsync(http, fault.Argument);
        }

        var promptTokens = prompt.TotalTokens;
        if (promptTokens > settings.SlotContext || fault?.Kind == FaultKind.ExceedContext)
        {
            var reported = Math.Max(promptTokens, settings.SlotContext + 1);
            return await WriteJsonAsync(http, 400, DialectReply.Error(settings.Dialect, 400,
                settings.Dialect == Dialect.LlamaServer
                    ? $"request ({reported} tokens) exceeds the available context size ({settings.SlotContext} tokens), try increasing it"
                    : $"This model's maximum context length is {settings.SlotContext} tokens. However, you requested {reported} tokens in the messages.",
                "exceed_context_size_error",
                new JsonObject { ["n_prompt_tokens"] = reported, ["n_ctx"] = settings.SlotContext }));
        }

        // Ollama and LM Studio load on demand and hold the request meanwhile; mlx_vlm swaps in a model named differently.
        await memory.EnsureLoadedAsync(requested, aborted);
        using var slot = await slots.AcquireAsync(prompt, aborted);
        stats.CountPrompt(prompt.ImageTokens, promptTokens, slot.CachedTokens);
        var started = time.GetTimestamp();
        switch (fault?.Kind)
        {
            case FaultKind.CrashMidRequest:
                await Console.Error.WriteLineAsync("fault crash-mid-request: killing the process with a request in flight");
                Process.GetCurrentProcess().Kill(); // SIGKILL, like the kernel's OOM killer (exit 137)
                break;
            case FaultKind.Hang:
                await FaultyAnswers.HangAsync(http, fault.Hang, AnswerStart, stats);
                return ClientClosed;
            case FaultKind.Slow:
                await Task.Delay(TimeSpan.FromMilliseconds(fault.Argument), time, aborted);
                break;
        }

        await Task.Delay(settings.ServiceTime, time, aborted);

        var maxTokens = (int?)request["max_tokens"] ?? (int?)request["n_predict"] ?? -1;
        var content = schema is null
            ? "A photo with " + SchemaInstance.Generate(new JsonObject { ["type"] = "string" }, image?.Hash ?? [])
            : SchemaInstance.Generate(schema, image?.Hash ?? [])!.ToJsonString(Indented);
        var finishReason = "stop";
        switch (fault?.Kind)
        {
            case FaultKind.InvalidJson:
                content = "Sure! Here is what I see in the photo: " + content;
                break;
            case FaultKind.SchemaInvalid when schema is not null:
                content = BreakSchema(JsonNode.Parse(content)!);
                break;
            case FaultKind.Length:
                content = content[..(content.Length / 2)];
                finishReason = "length";
                break;
            case FaultKind.HugeBody:
                await FaultyAnswers.WriteHugeAsync(http, AnswerStart, "}\"}}]}", fault.BodyBytes, stats);
                return 200;
        }

        var completionTokens = PromptShape.TextTokens(content);
        if (maxTokens > 0 && completionTokens > maxTokens)
        {
            content = content[..Math.Min(content.Length, maxTokens * 4)];
            completionTokens = maxTokens;
            finishReason = "length";
        }

        var elapsedMs = Math.Max(0.001, time.GetElapsedTime(started).TotalMilliseconds);
        // The fake spends its service time as a real server would: a fifth on the prompt, the rest generating.
        var promptN = promptTokens - slot.CachedTokens;
        var promptMs = elapsedMs * 0.2;
        var predictedMs = elapsedMs * 0.8;
        var answer = new JsonObject
        {
            ["choices"] = new JsonArray(new JsonObject
            {
                ["finish_reason"] = finishReason,
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
            }),
            ["created"] = time.GetUtcNow().ToUnixTimeSeconds(),
            // llama-server ignores the model field and names its own; the others echo the model asked for.
            ["model"] = settings.Dialect == Dialect.LlamaServer ? settings.ModelId : requested,
            ["system_fingerprint"] = "b0-fake",
            ["object"] = "chat.completion",
            ["id"] = "chatcmpl-fake-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)),
        };
        DialectReply.AddCosts(answer, settings, promptTokens, slot.CachedTokens, completionTokens, new JsonObject
            {
                ["cache_n"] = slot.CachedTokens,
                ["prompt_n"] = promptN,
                ["prompt_ms"] = promptMs,
                ["prompt_per_token_ms"] = promptMs / Math.Max(1, promptN),
                ["prompt_per_second"] = promptN / promptMs * 1000,
                ["predicted_n"] = completionTokens,
                ["predicted_ms"] = predictedMs,
                ["predicted_per_token_ms"] = predictedMs / Math.Max(1, completionTokens),
                ["predicted_per_second"] = completionTokens / predictedMs * 1000,
            });
        return await WriteJsonAsync(http, 200, answer);
    }

    private sealed record ImageSeen(byte[] Hash);

    private bool TryReadPrompt(JsonObject request, out PromptShape prompt, out ImageSeen? image, out string problem)
    {
        prompt = null!;
        image = null;
        problem = "";
        if (request["messages"] is not JsonArray messages || messages.Count == 0)
        {
            problem = "'messages' is required and must be a non-empty array";
            return false;
        }

        var before = new StringBuilder();
        var after = new StringBuilder();
        SentImage? sent = null;
        foreach (var message in messages)
        {
            if (message is not JsonObject m || m["role"]?.GetValue<string>() is not ("system" or "user" or "assistant"))
            {
                problem = "every message needs a role of system, user or assistant";
                return false;
            }

            var text = sent is null ? before : after;
            switch (m["content"])
            {
                case JsonValue v when v.TryGetValue<string>(out var s):
                    text.Append(s);
                    break;
                case JsonArray parts:
                    foreach (var part in parts)
                    {
                        switch (part?["type"]?.GetValue<string>())
                        {
                            case "text":
                                (sent is null ? before : after).Append(part["text"]?.GetValue<string>() ?? "");
                                break;
                            case "image_url":
                                if (sent is not null)
                                {
                                    problem = "the fake model server accepts one image per request";
                                    return false;
                                }

                                sent = LoadDataUri(part["image_url"]?["url"]?.GetValue<string>());
                                if (sent is null)
                                {
                                    problem = "Failed to load image or audio file";
                                    return false;
                                }

                                break;
                            default:
                                problem = "unsupported content part type";
                                return false;
                        }
                    }

                    break;
                default:
                    problem = "message content must be a string or an array of parts";
                    return false;
            }
        }

        var imageTokens = sent?.TokenCount(settings.ImageMinTokens, settings.ImageMaxTokens) ?? 0;
        var hash = sent is null ? null : SHA256.HashData(sent.Bytes);
        image = hash is null ? null : new ImageSeen(hash);
        prompt = new PromptShape(before.ToString(), hash is null ? null : Convert.ToHexString(hash), imageTokens, after.ToString(), messages.Count);
        return true;
    }

    private static SentImage? LoadDataUri(string? url)
    {
        const string marker = ";base64,";
        if (url is null || !url.StartsWith("data:", StringComparison.Ordinal))
        {
            return null; // llama-server can be built to fetch URLs; the product never sends any.
        }

        var comma = url.IndexOf(marker, StringComparison.Ordinal);
        if (comma < 0)
        {
            return null;
        }

        var payload = url.AsSpan(comma + marker.Length);
        var bytes = new byte[payload.Length * 3 / 4 + 3];
        return Convert.TryFromBase64Chars(payload, bytes, out var written) ? SentImage.TryLoad(bytes[..written]) : null;
    }

    private static bool ContainsRef(JsonNode node) => node switch
    {
        JsonObject o => o.Any(p => p.Key == "$ref" || (p.Value is not null && ContainsRef(p.Value))),
        JsonArray a => a.Any(i => i is not null && ContainsRef(i)),
        _ => false,
    };

    /// <summary>What a grammar-less or confused server produces: a required property missing, or an enum value outside the list.</summary>
    private static string BreakSchema(JsonNode instance)
    {
        if (instance is JsonObject root && root.Count > 0)
        {
            root.Remove(root.First().Key);
        }

        return instance.ToJsonString(Wire);
    }

    private Task<int> StatusFaultAsync(HttpContext http, int status)
    {
        var (message, type) = status switch
        {
            404 => ("model not found, try pulling it first", "not_found_error"),
            503 => ("server busy, please try again later", "unavailable_error"),
            >= 500 => ("internal server error", "server_error"),
            _ => ("request refused by fault script", "invalid_request_error"),
        };
        return FailAsync(http, status, message, type);
    }

    /// <summary>An error in the shape of the --dialect's server.</summary>
    private Task<int> FailAsync(HttpContext http, int status, string message, string type) =>
        WriteJsonAsync(http, status, DialectReply.Error(settings.Dialect, status, message, type));

    /// <summary>llama-server's error shape (its 503 "Loading model" while it loads).</summary>
    public static Task<int> ErrorAsync(HttpContext http, int status, string message, string type) =>
        WriteJsonAsync(http, status, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["type"] = type },
        });

    public static async Task<int> WriteJsonAsync(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(body.ToJsonString(Wire), http.RequestAborted);
        return status;
    }
}
