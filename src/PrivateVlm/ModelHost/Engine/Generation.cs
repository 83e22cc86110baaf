namespace PrivateVlm.ModelHost.Engine;

/// <summary>
/// A finished completion with llama-server's accounting: <see cref="CachedTokens"/> of the <see cref="PromptTokens"/>
/// came from the KV cache (the shared prefix), <see cref="EvaluatedTokens"/> were computed for this request.
/// </summary>
/// <param name="FinishReason">"stop" (the model ended, or the grammar was complete) or "length" (max_tokens or the
/// sequence's context ran out).</param>
public sealed record Generation(
    string Text,
    string FinishReason,
    int PromptTokens,
    int CachedTokens,
    int ImageTokens,
    double PromptMs,
    int PredictedTokens,
    double PredictedMs)
{
    public int EvaluatedTokens => PromptTokens - CachedTokens;
}
