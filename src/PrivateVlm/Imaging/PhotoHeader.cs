namespace PrivateVlm.Imaging;

/// <summary>What a photo's header declares, read without decoding any pixel.</summary>
/// <param name="Format">"jpeg", "heif", "png", "webp" or "tiff", sniffed from the content (not the extension).</param>
/// <param name="Width">Upright width (after applying <paramref name="Orientation"/>).</param>
/// <param name="Height">Upright height.</param>
/// <param name="Orientation">EXIF orientation 1..8 (1 when absent).</param>
/// <param name="HasColourProfile">The file embeds an ICC profile (Display P3 on iPhones, CMYK print profiles...).</param>
public sealed record PhotoHeader(string Format, int Width, int Height, int Orientation, long FileBytes, bool HasColourProfile)
{
    public long Pixels => (long)Width * Height;
}
