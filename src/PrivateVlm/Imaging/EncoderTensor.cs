namespace PrivateVlm.Imaging;

/// <summary>Writes interleaved RGB bytes as the normalised NCHW floats an image encoder takes.</summary>
public static class EncoderTensor
{
    /// <summary>
    /// <paramref name="rgb"/> holds Size x Size x 3 bytes (row-major, RGB interleaved); <paramref name="destination"/>
    /// receives 3 planes of Size x Size floats, each value (x/255 - mean[c]) / std[c].
    /// </summary>
    public static void Write(ReadOnlySpan<byte> rgb, EncoderInputSpec spec, Span<float> destination)
    {
        var plane = spec.Size * spec.Size;
        if (rgb.Length != plane * 3)
        {
            throw new ArgumentException($"expected {plane * 3} RGB bytes for {spec.Size}x{spec.Size}, got {rgb.Length}", nameof(rgb));
        }

        if (destination.Length < plane * 3)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, {plane * 3} needed", nameof(destination));
        }

        // 256-entry tables per channel: one lookup per byte instead of a divide and two float operations.
        Span<float> table = stackalloc float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            for (var x = 0; x < 256; x++)
            {
                table[c * 256 + x] = (x / 255f - spec.Mean[c]) / spec.Std[c];
            }
        }

        var red = destination[..plane];
        var green = destination.Slice(plane, plane);
        var blue = destination.Slice(2 * plane, plane);
        var redTable = table[..256];
        var greenTable = table.Slice(256, 256);
        var blueTable = table.Slice(512, 256);
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            red[i] = redTable[rgb[j]];
            green[i] = greenTable[rgb[j + 1]];
            blue[i] = blueTable[rgb[j + 2]];
        }
    }
}
