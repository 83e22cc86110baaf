using System.Text.Json.Nodes;

namespace PrivateVlm.FakeModelServer.Dialects;

/// <summary>How each server shapes an error and reports what a completion cost (usage, timings, cached tokens).</summary>
public static class DialectReply
{
    /// <summary>The error body for <paramref name="status"/>. <paramref name="type"/> is llama-server's error type
    /// (kept by llama-server; the others use their own).</summary>
    public static JsonNode Error(Dialect dialect, int status, string message, string type, JsonObject? extra = null)
    {
        switch (dialect)
        {
            case Dialect.Vllm:
                return new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["message"] = message,
                        ["type"] = status switch { 400 => "BadRequestError", 404 => "NotFoundError", 503 => "ServiceUnavailableError", _ => "InternalServerError" },
                        ["param"] = null,
                        ["code"] = status,
                    },
                };
            case Dialect.Ollama:
            case Dialect.LmStudio:
                return new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["message"] = message,
                        ["type"] = status < 500 ? "invalid_request_error" : "api_error",
                        ["param"] = null,
                        ["code"] = null,
                    },
                };
            case Dialect.MlxVlm:
                return new JsonObject { ["detail"] = message }; // FastAPI's HTTPException
            default:
                var error = new JsonObject { ["code"] = status, ["message"] = message, ["type"] = type };
                foreach (var (key, value) in extra ?? [])
                {
                    error[key] = value?.DeepClone();
                }

                return new JsonObject { ["error"] = error };
        }
    }

    /// <summary>What a 404 for an unknown model says, or null when the server ignores the model field (llama-server)
    /// or loads whatever is named (mlx_vlm).</summary>
    public static string? UnknownModel(Dialect dialect, string requested) => dialect switch
    {
        Dialect.Vllm => $"The model `{requested}` does not exist.",
        Dialect.Ollama => $"model \"{requested}\" not found, try pulling it first",
        Dialect.LmStudio => $"Model \"{requested}\" not found. Please download it first.",
        _ => null,
    };

    /// <summary>
    /// Adds usage and timings as the server sends them: llama-server both, with cached tokens in
    /// usage.prompt_tokens_details and timings.cache_n; mlx_vlm timings (cache_n) and a plain usage; vLLM usage only,
    /// with prompt_tokens_details when started with --enable-prompt-tokens-details; Ollama (/v1) and LM Studio a plain
    /// usage: no cached-token figure at all.
    /// </summary>
    public static void AddCosts(JsonObject answer, ServerSettings settings, int promptTokens, int cachedTokens, int completionTokens, JsonObject timings)
    {
        var usage = new JsonObject
        {
            ["completion_tokens"] = completionTokens,
            ["prompt_tokens"] = promptTokens,
            ["total_tokens"] = promptTokens + completionTokens,
        };
        switch (settings.Dialect)
        {
            case Dialect.LlamaServer:
                usage["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cachedTokens };
                answer["usage"] = usage;
                answer["timings"] = timings;
                break;
            case Dialect.MlxVlm:
                answer["usage"] = usage;
                answer["timings"] = timings;
                break;
            case Dialect.Vllm:
                usage["prompt_tokens_details"] = settings.PromptTokensDetails ? new JsonObject { ["cached_tokens"] = cachedTokens } : null;
                answer["usage"] = usage;
                break;
            default:
                answer["usage"] = usage;
                break;
        }
    }
}
