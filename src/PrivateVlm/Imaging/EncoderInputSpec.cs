namespace PrivateVlm.Imaging;

/// <summary>
/// What an image encoder (e.g. CLIP's vision tower) expects, as its preprocessing config states it: a square of
/// <paramref name="Size"/> pixels (shortest side resized to Size, then centre-cropped), RGB channels normalised as
/// (x/255 - mean) / std, laid out NCHW.
/// </summary>
public sealed record EncoderInputSpec(int Size, float[] Mean, float[] Std)
{
    /// <summary>OpenAI CLIP ViT-B/32 and ViT-L/14 preprocessing.</summary>
    public static EncoderInputSpec Clip224 { get; } = new(
        224, [0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]);

    /// <summary>Floats one image occupies in a batch: 3 x Size x Size.</summary>
    public int TensorLength => 3 * Size * Size;

    /// <summary>Tensor shape of a batch of <paramref name="count"/> images: [count, 3, Size, Size].</summary>
    public long[] BatchShape(int count) => [count, 3, Size, Size];

    internal void Validate()
    {
        if (Size is < 1 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(Size), Size, "encoder input size must be 1..4096");
        }

        if (Mean is not { Length: 3 } || Std is not { Length: 3 } || Std.Any(s => s <= 0))
        {
            throw new ArgumentException("encoder input needs three means and three positive standard deviations (RGB)");
        }
    }
}
