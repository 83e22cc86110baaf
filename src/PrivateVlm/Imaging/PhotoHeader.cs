namespace PrivateVlm.Imaging;

/// <summary>What a photo's header declares, read without decoding any pixel.</summary>
/// <param name="Format">"jpeg", "heif", "png", "webp", "tiff" or "jxl", sniffed from the content (not the extension); "raw"
/// for a camera raw decoded from its embedded JPEG preview.</param>
/// <param name="Width">Upright width (after applying <paramref name="Orientation"/>).</param>
/// <param name="Height">Upright height.</param>
/// <param name="Orientation">EXIF orientation 1..8 (1 when absent).</param>
/// <param name="HasColourProfile">The file embeds an ICC profile (Display P3 on iPhones, CMYK print profiles...).</param>
public sealed record PhotoHeader(string Format, int Width, int Height, int Orientation, long FileBytes, bool HasColourProfile)
{
    public long Pixels => (long)Width * Height;

    /// <summary>Set for a camera raw: the embedded JPEG the pixels come from (the sizes above are the preview's).</summary>
    internal CameraRawPreview? RawPreview { get; init; }
}
