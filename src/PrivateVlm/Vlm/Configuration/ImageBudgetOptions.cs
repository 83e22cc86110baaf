namespace PrivateVlm.Vlm.Configuration;

/// <summary>
/// How large an image a tier sends. Qwen2.5-VL costs one token per 28x28 block: a 12 MP photo is ~15,500 tokens at
/// full resolution (4,015 after llama.cpp's clamp) and ~1,000-1,250 at the default 1280*28*28 pixels, on every server.
/// </summary>
public sealed record ImageBudgetOptions
{
    public const long DefaultMaxPixels = 1280L * 28 * 28;

    private const long MinPixels = 8L * 28 * 28;

    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Longest side in pixels, so panoramas stay within what the vision encoder handles well.</summary>
    public int LongSide { get; init; } = 1792;

    public int JpegQuality { get; init; } = 85;

    /// <summary>
    /// The budget for the one retry after a 400 exceed_context_size_error: pixels scaled by the overshoot with 10 %
    /// headroom (image tokens are proportional to pixels; the text part is over-counted, which only errs small).
    /// </summary>
    public ImageBudgetOptions ShrunkToFit(int promptTokens, int contextTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextTokens);
        var ratio = Math.Min(1.0, 0.9 * contextTokens / promptTokens);
        var pixels = Math.Max(MinPixels, (long)(MaxPixels * ratio));
        var side = Math.Max(28, (int)(LongSide * Math.Sqrt(ratio)));
        return this with { MaxPixels = pixels, LongSide = side };
    }
}
