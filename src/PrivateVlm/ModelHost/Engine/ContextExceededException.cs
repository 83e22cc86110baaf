namespace PrivateVlm.ModelHost.Engine;

/// <summary>The prompt (text and image tokens) does not fit one sequence's context; llama-server's exceed_context_size_error.</summary>
public sealed class ContextExceededException(int promptTokens, int contextTokens)
    : Exception($"request ({promptTokens} tokens) exceeds the available context size ({contextTokens} tokens), try increasing it")
{
    public int PromptTokens { get; } = promptTokens;

    public int ContextTokens { get; } = contextTokens;
}
