namespace PrivateVlm.FakeModelServer.Dialects;

/// <summary>Which server the fake answers like (--dialect). Every dialect shares the chat-completions engine of the
/// fake (slots, prefix reuse, image tokens, faults); they differ where the servers differ, see README.md.</summary>
public enum Dialect
{
    LlamaServer,
    Vllm,
    Ollama,
    MlxVlm,
    LmStudio,
}

public static class DialectNames
{
    public static Dialect Parse(string text) => text switch
    {
        "llama-server" => Dialect.LlamaServer,
        "vllm" => Dialect.Vllm,
        "ollama" => Dialect.Ollama,
        "mlx-vlm" => Dialect.MlxVlm,
        "lmstudio" => Dialect.LmStudio,
        _ => throw new ArgumentException($"unknown --dialect {text}: use llama-server, vllm, ollama, mlx-vlm or lmstudio"),
    };

    /// <summary>The model id a user of that server would typically see (--model-id overrides it).</summary>
    public static string DefaultModelId(this Dialect dialect) => dialect switch
    {
        Dialect.Vllm => "Qwen/Qwen2.5-VL-32B-Instruct",
        Dialect.Ollama => "qwen2.5vl:3b",
        Dialect.MlxVlm => "mlx-community/Qwen2.5-VL-3B-Instruct-4bit",
        Dialect.LmStudio => "qwen2.5-vl-3b-instruct",
        _ => "qwen2.5-vl-3b-instruct-q4_k_m.gguf",
    };

    /// <summary>vLLM and mlx_vlm open their port only once the model is loaded: their loading time is refused connections.</summary>
    public static bool RefusesWhileLoading(this Dialect dialect) => dialect is Dialect.Vllm or Dialect.MlxVlm;

    /// <summary>Ollama and LM Studio answer at once and load the model when a request asks for it, holding that request.</summary>
    public static bool LoadsOnDemand(this Dialect dialect) => dialect is Dialect.Ollama or Dialect.LmStudio;
}
