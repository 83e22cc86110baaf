namespace PrivateVlm.Imaging;

/// <summary>
/// How big an image one VLM tier receives: at most <paramref name="MaxPixels"/> pixels with both sides multiples
/// of 28 (the patch-merge size of Qwen2-VL-style encoders, so no pixels are wasted on padding), the long side at
/// most <paramref name="MaxLongSide"/>, re-encoded as JPEG at <paramref name="Quality"/>. Tiers of the resolution
/// ladder use different budgets.
/// </summary>
public sealed record VlmImageBudget(int MaxPixels, int MaxLongSide, int Quality)
{
    public const int Multiple = 28;

    /// <summary>1280 x 28 x 28 = 1,003,520 pixels: about 1,000-1,250 image tokens instead of ~15,500 for a full
    /// 12 MP photo. The long-side cap (72 x 28) only bites on panoramas wider than about 4:1.</summary>
    public static VlmImageBudget Default { get; } = new(1280 * Multiple * Multiple, 72 * Multiple, 85);

    internal void Validate()
    {
        if (MaxPixels < Multiple * Multiple || MaxLongSide < Multiple || Quality is < 1 or > 100)
        {
            throw new ArgumentException(
                $"VLM image budget needs MaxPixels >= {Multiple * Multiple}, MaxLongSide >= {Multiple} and Quality 1..100: {this}");
        }
    }
}
