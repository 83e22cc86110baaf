namespace PrivateVlm.Clustering;

/// <summary>
/// A model-free fingerprint that survives turning a photo by an arbitrary angle (a straightened or tilted copy, with
/// black corners): the pHash of the central square that stays inside the picture at any turn up to
/// <see cref="MaxDegrees"/>, sampled from an aspect-preserving grayscale thumbnail. A representative keeps the hash of
/// its square as shown (trial 0); a new photo is compared after turning its own square by each of
/// <see cref="TrialDegrees"/>. The UKBench "_rotation" copy is turned by 30 degrees (measured from its black corners).
/// </summary>
public static class TiltedCopyHash
{
    /// <summary>Long side of the thumbnail the square is sampled from (enough pixels to turn without smearing 32x32).</summary>
    public const int ThumbnailLongSide = 96;

    /// <summary>The largest turn tried, in degrees; the square is sized so that it stays inside the picture up to it.</summary>
    public const double MaxDegrees = 30;

    /// <summary>The turns a new photo is tried at: as shown first, then either way in 5 degree steps up to 30.</summary>
    public static readonly double[] TrialDegrees = [0, -5, 5, -10, 10, -15, 15, -20, 20, -25, 25, -30, 30];

    /// <summary>The thumbnail size to ask for: the photo's upright aspect with the long side at <see cref="ThumbnailLongSide"/>.</summary>
    public static (int Width, int Height) ThumbnailSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return width >= height
            ? (ThumbnailLongSide, Math.Max(8, (int)Math.Round(ThumbnailLongSide * (double)height / width)))
            : (Math.Max(8, (int)Math.Round(ThumbnailLongSide * (double)width / height)), ThumbnailLongSide);
    }

    /// <summary>pHash of the central square turned by each of <see cref="TrialDegrees"/> (index 0: as shown, what a
    /// representative is compared by).</summary>
    public static ulong[] Trials(ReadOnlySpan<byte> thumbnail, int width, int height)
    {
        var result = new ulong[TrialDegrees.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Turned(thumbnail, width, height, TrialDegrees[i]);
        }

        return result;
    }

    /// <summary>Smallest distance between any trial turn of the new photo and the representative's square as shown.</summary>
    public static int Distance(ReadOnlySpan<ulong> trials, ulong representativeSquare) =>
        PerceptualHash.MinDistance(trials, representativeSquare);

    /// <summary>pHash of the central square turned by <paramref name="degrees"/> (counter-clockwise as shown).</summary>
    public static ulong Turned(ReadOnlySpan<byte> thumbnail, int width, int height, double degrees)
    {
        if (thumbnail.Length != width * height)
        {
            throw new ArgumentException($"expected a {width}x{height} grayscale thumbnail, got {thumbnail.Length} bytes", nameof(thumbnail));
        }

        const int side = PerceptualHash.Side;
        const int supersample = 2;
        var worst = MaxDegrees * Math.PI / 180;
        // The largest centred square whose every turn up to MaxDegrees stays inside the picture: black corners of a
        // turned copy never enter it.
        var square = Math.Min(width, height) / (Math.Cos(worst) + Math.Sin(worst));
        var angle = degrees * Math.PI / 180;
        var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
        var (cx, cy) = (width / 2.0, height / 2.0);
        var step = square / (side * supersample);
        Span<byte> grid = stackalloc byte[side * side];
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                double sum = 0;
                for (var sy = 0; sy < supersample; sy++)
                {
                    for (var sx = 0; sx < supersample; sx++)
                    {
                        var u = (((x * supersample) + sx + 0.5) * step) - (square / 2);
                        var v = (((y * supersample) + sy + 0.5) * step) - (square / 2);
                        // Image rows grow downwards: a counter-clockwise turn as shown is a clockwise one in (x, y).
                        sum += Bilinear(thumbnail, width, height, cx + (u * cos) + (v * sin), cy - (u * sin) + (v * cos));
                    }
                }

                grid[(y * side) + x] = (byte)Math.Clamp(Math.Round(sum / (supersample * supersample)), 0, 255);
            }
        }

        return PerceptualHash.Dct(grid);
    }

    private static double Bilinear(ReadOnlySpan<byte> image, int width, int height, double x, double y)
    {
        // Pixel centres sit at +0.5.
        var fx = Math.Clamp(x - 0.5, 0, width - 1);
        var fy = Math.Clamp(y - 0.5, 0, height - 1);
        var x0 = (int)fx;
        var y0 = (int)fy;
        var x1 = Math.Min(x0 + 1, width - 1);
        var y1 = Math.Min(y0 + 1, height - 1);
        var ax = fx - x0;
        var ay = fy - y0;
        var top = (image[(y0 * width) + x0] * (1 - ax)) + (image[(y0 * width) + x1] * ax);
        var bottom = (image[(y1 * width) + x0] * (1 - ax)) + (image[(y1 * width) + x1] * ax);
        return (top * (1 - ay)) + (bottom * ay);
    }
}
