namespace PrivateVlm.Imaging;

/// <summary>
/// The JPEG one VLM tier receives for a photo, with its exact size, recorded with every result so a changed budget
/// can tell which results were made from which picture.
/// </summary>
/// <param name="Jpeg">Upright, sRGB, metadata stripped.</param>
public sealed record VlmImage(byte[] Jpeg, int Width, int Height)
{
    public int Bytes => Jpeg.Length;
}
