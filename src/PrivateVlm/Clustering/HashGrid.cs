namespace PrivateVlm.Clustering;

/// <summary>
/// The 32x32 grid pHash reads, squashed (aspect ratio not kept) from the small aspect-preserving thumbnail the turned
/// squares are sampled from. Deriving it here instead of asking libvips for a second thumbnail saves a whole decode
/// per photo: a HEIC has no shrink-on-load, so each decode of a 12 MP iPhone photo is a full one (about 0.4 s here).
/// Each grid cell is the exact area average of the thumbnail pixels it covers, partial pixels weighted by their share.
/// </summary>
public static class HashGrid
{
    public static byte[] Squash(ReadOnlySpan<byte> thumbnail, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (thumbnail.Length != width * height)
        {
            throw new ArgumentException($"expected a {width}x{height} grayscale thumbnail, got {thumbnail.Length} bytes", nameof(thumbnail));
        }

        const int side = PerceptualHash.Side;
        // Rows first, then columns: each pass averages along one axis.
        var rows = new double[height * side];
        for (var y = 0; y < height; y++)
        {
            AreaAverage(thumbnail.Slice(y * width, width), rows.AsSpan(y * side, side));
        }

        var grid = new byte[side * side];
        Span<double> column = stackalloc double[height];
        Span<double> cells = stackalloc double[side];
        for (var x = 0; x < side; x++)
        {
            for (var y = 0; y < height; y++)
            {
                column[y] = rows[(y * side) + x];
            }

            AreaAverage(column, cells);
            for (var y = 0; y < side; y++)
            {
                grid[(y * side) + x] = (byte)Math.Clamp(Math.Round(cells[y]), 0, 255);
            }
        }

        return grid;
    }

    private static void AreaAverage(ReadOnlySpan<byte> source, Span<double> target)
    {
        Span<double> wide = stackalloc double[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            wide[i] = source[i];
        }

        AreaAverage(wide, target);
    }

    /// <summary>Target cell i covers source positions [i * n / m, (i + 1) * n / m); when the source is shorter than the
    /// target (a thin panorama's short side) a cell lies inside one source pixel and takes its value.</summary>
    private static void AreaAverage(ReadOnlySpan<double> source, Span<double> target)
    {
        var scale = (double)source.Length / target.Length;
        for (var i = 0; i < target.Length; i++)
        {
            var start = i * scale;
            var end = (i + 1) * scale;
            double sum = 0;
            for (var p = (int)start; p < source.Length && p < end; p++)
            {
                var covered = Math.Min(end, p + 1) - Math.Max(start, p);
                sum += source[p] * covered;
            }

            target[i] = sum / scale;
        }
    }
}
