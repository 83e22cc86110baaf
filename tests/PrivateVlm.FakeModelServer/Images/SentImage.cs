using System.Buffers.Binary;

namespace PrivateVlm.FakeModelServer.Images;

/// <summary>
/// The image of a chat request as llama-server's stb_image sees it: JPEG or PNG only (WebP, HEIC and anything else
/// fail to load), with its pixel size read from the JPEG frame header or the PNG IHDR chunk.
/// </summary>
public sealed record SentImage(string Format, int Width, int Height, byte[] Bytes)
{
    public static SentImage? TryLoad(byte[] bytes)
    {
        if (bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        {
            return TryJpegFrameSize(bytes, out var w, out var h) ? new SentImage("jpeg", w, h, bytes) : null;
        }

        ReadOnlySpan<byte> pngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (bytes.Length >= 24 && bytes.AsSpan(0, 8).SequenceEqual(pngSignature) && bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            var w = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
            var h = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
            return w > 0 && h > 0 ? new SentImage("png", w, h, bytes) : null;
        }

        return null;
    }

    /// <summary>
    /// Qwen2.5-VL smart resize: sides rounded to multiples of 28, scaled down to fit max_pixels (or up to min_pixels),
    /// then one token per 28x28 block. llama.cpp sets the pixel bounds from --image-min/max-tokens.
    /// </summary>
    public int TokenCount(int minTokens, int maxTokens)
    {
        const int factor = 28;
        double maxPixels = (double)maxTokens * factor * factor;
        double minPixels = (double)minTokens * factor * factor;
        var h = Math.Max(factor, Math.Round((double)Height / factor, MidpointRounding.ToEven) * factor);
        var w = Math.Max(factor, Math.Round((double)Width / factor, MidpointRounding.ToEven) * factor);
        if (h * w > maxPixels)
        {
            var beta = Math.Sqrt((double)Height * Width / maxPixels);
            h = Math.Max(factor, Math.Floor(Height / beta / factor) * factor);
            w = Math.Max(factor, Math.Floor(Width / beta / factor) * factor);
        }
        else if (h * w < minPixels)
        {
            var beta = Math.Sqrt(minPixels / ((double)Height * Width));
            h = Math.Ceiling(Height * beta / factor) * factor;
            w = Math.Ceiling(Width * beta / factor) * factor;
        }

        return (int)(h / factor * (w / factor));
    }

    private static bool TryJpegFrameSize(byte[] jpeg, out int width, out int height)
    {
        width = height = 0;
        var pos = 2;
        while (pos + 4 <= jpeg.Length)
        {
            if (jpeg[pos] != 0xFF)
            {
                return false;
            }

            var marker = jpeg[pos + 1];
            if (marker == 0xFF)
            {
                pos++;
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                pos += 2;
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                return false; // end of image or scan data before any frame header
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(pos + 2));
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (pos + 9 > jpeg.Length)
                {
                    return false;
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(pos + 5));
                width = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(pos + 7));
                return width > 0 && height > 0;
            }

            pos += 2 + length;
        }

        return false;
    }
}
