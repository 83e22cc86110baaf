namespace PrivateVlm.Vlm.Protocol;

/// <summary>
/// What one successful call cost, as the server reported it (llama-server and mlx-vlm send <c>timings</c>; vLLM and
/// others only <c>usage</c>, so the timing fields are optional) plus the wall time the client measured.
/// </summary>
/// <param name="PromptTokens">usage.prompt_tokens: system + user text + image tokens.</param>
/// <param name="CachedTokens">usage.prompt_tokens_details.cached_tokens (or timings.cache_n): the reused prefix.</param>
/// <param name="PromptMs">timings.prompt_ms: time spent on the uncached part of the prompt.</param>
/// <param name="GeneratedTokens">usage.completion_tokens.</param>
/// <param name="TokensPerSecond">timings.predicted_per_second.</param>
/// <param name="WallMs">Request sent to body read, on the client.</param>
public sealed record CallTimings(
    int PromptTokens,
    int CachedTokens,
    double? PromptMs,
    int GeneratedTokens,
    double? TokensPerSecond,
    double WallMs);
