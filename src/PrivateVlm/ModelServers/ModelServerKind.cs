namespace PrivateVlm.ModelServers;

/// <summary>
/// Which model server answers at an endpoint. They share the chat-completions protocol but not how they say they are
/// ready (shared/reference/inference-servers.md, "Readiness and health"), so health asks each in its own way.
/// </summary>
public enum ModelServerKind
{
    /// <summary>Not known yet: found out from what the endpoint answers (<see cref="ServerKindDetection"/>).</summary>
    Auto,

    /// <summary>llama.cpp's llama-server (and Ollama >= 0.30 runs it inside): GET /health 200 {"status":"ok"}, 503
    /// "Loading model" while loading, /slots.</summary>
    LlamaServer,

    /// <summary>vLLM: connection refused until the engine is up, then GET /health 200 with an empty body; 503 once the
    /// engine died (it does not come back by itself).</summary>
    Vllm,

    /// <summary>Ollama: no /health; GET / says "Ollama is running", GET /api/ps lists the loaded models, and a request
    /// for a model not loaded yet blocks while it loads.</summary>
    Ollama,

    /// <summary>mlx_vlm.server: refuses connections until its model is loaded, then GET /health {"status":"healthy",
    /// "loaded_model":...}; a request naming another model unloads the loaded one.</summary>
    MlxVlm,

    /// <summary>LM Studio: no /health; GET /api/v1/models lists every model with its loaded instances; a request for a
    /// model not loaded loads it on demand (the request waits).</summary>
    LmStudio,

    /// <summary>Answers the OpenAI protocol (GET /v1/models) but none of the above: readiness is the warm-up alone.</summary>
    OpenAiCompatible,
}

public static class ModelServerKindText
{
    /// <summary>The names used in settings (Tiers:&lt;Tier&gt;:ServerKind), health details and the fake's --dialect.</summary>
    public static string ToText(this ModelServerKind kind) => kind switch
    {
        ModelServerKind.LlamaServer => "llama-server",
        ModelServerKind.Vllm => "vllm",
        ModelServerKind.Ollama => "ollama",
        ModelServerKind.MlxVlm => "mlx-vlm",
        ModelServerKind.LmStudio => "lmstudio",
        ModelServerKind.OpenAiCompatible => "openai-compatible",
        _ => "auto",
    };

    /// <exception cref="InvalidOperationException">Not one of the names above; the message lists them.</exception>
    public static ModelServerKind Parse(string? text, string setting)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return ModelServerKind.Auto;
        }

        foreach (var kind in Enum.GetValues<ModelServerKind>())
        {
            if (string.Equals(kind.ToText(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw new InvalidOperationException(
            $"{setting} '{text}' is not a model server kind: use one of " +
            string.Join(", ", Enum.GetValues<ModelServerKind>().Select(k => k.ToText())));
    }

    /// <summary>Servers that load a model when a request asks for it and hold that request meanwhile: a request that
    /// is pending while the model is not loaded is a load in progress, not a timeout.</summary>
    public static bool LoadsOnDemand(this ModelServerKind kind) => kind is ModelServerKind.Ollama or ModelServerKind.LmStudio;
}
