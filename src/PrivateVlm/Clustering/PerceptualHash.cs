using System.Numerics;
using System.Runtime.CompilerServices;

namespace PrivateVlm.Clustering;

/// <summary>
/// Model-free 64-bit fingerprints of a photo's 32x32 upright grayscale thumbnail, compared by Hamming distance.
/// pHash (the signs of the lowest 8x8 DCT frequencies against their median) is what grouping uses: it ignores
/// resizing, recompression and small exposure changes, and its distance between unrelated scenes clusters tightly
/// around 32. dHash (brightness gradients of a 9x8 reduction) is kept alongside for measurement and regrouping.
/// </summary>
public static class PerceptualHash
{
    public const int Side = 32;
    private const int Low = 8;

    private static readonly double[,] Cosines = BuildCosines();

    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    /// <summary>Smallest distance between any of <paramref name="hashes"/> and <paramref name="other"/>.</summary>
    public static int MinDistance(ReadOnlySpan<ulong> hashes, ulong other)
    {
        var best = 64;
        foreach (var hash in hashes)
        {
            best = Math.Min(best, Distance(hash, other));
        }

        return best;
    }

    /// <summary>
    /// Whether any of <paramref name="hashes"/> is within <paramref name="limit"/> of <paramref name="other"/>. Written
    /// without a data-dependent branch: it runs for every representative of a library, and a minimum taken with
    /// comparisons mispredicts on unrelated photos about half the time (about 4x slower when measured).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyWithin(ReadOnlySpan<ulong> hashes, ulong other, int limit)
    {
        // Bit 31 of (limit - distance) is set exactly when the distance is over the limit.
        var over = -1;
        var i = 0;
        for (; i + 4 <= hashes.Length; i += 4)
        {
            over &= (limit - BitOperations.PopCount(hashes[i] ^ other)) & (limit - BitOperations.PopCount(hashes[i + 1] ^ other))
                    & (limit - BitOperations.PopCount(hashes[i + 2] ^ other)) & (limit - BitOperations.PopCount(hashes[i + 3] ^ other));
        }

        for (; i < hashes.Length; i++)
        {
            over &= limit - BitOperations.PopCount(hashes[i] ^ other);
        }

        return over >= 0;
    }

    /// <summary>pHash of a row-major 32x32 luminance grid.</summary>
    public static ulong Dct(ReadOnlySpan<byte> grid)
    {
        RequireGrid(grid);
        // Separable 2-D DCT-II, only the 8x8 lowest frequencies are needed.
        Span<double> rows = stackalloc double[Side * Low];
        for (var y = 0; y < Side; y++)
        {
            for (var u = 0; u < Low; u++)
            {
                double sum = 0;
                for (var x = 0; x < Side; x++)
                {
                    sum += grid[(y * Side) + x] * Cosines[u, x];
                }

                rows[(y * Low) + u] = sum;
            }
        }

        Span<double> coefficients = stackalloc double[Low * Low];
        for (var v = 0; v < Low; v++)
        {
            for (var u = 0; u < Low; u++)
            {
                double sum = 0;
                for (var y = 0; y < Side; y++)
                {
                    sum += rows[(y * Low) + u] * Cosines[v, y];
                }

                coefficients[(v * Low) + u] = sum;
            }
        }

        // The DC term only says how bright the photo is: compare the other 63 against their median.
        Span<double> sorted = stackalloc double[(Low * Low) - 1];
        coefficients[1..].CopyTo(sorted);
        sorted.Sort();
        var median = sorted[sorted.Length / 2];
        ulong hash = 0;
        for (var i = 1; i < Low * Low; i++)
        {
            if (coefficients[i] > median)
            {
                hash |= 1UL << i;
            }
        }

        return hash;
    }

    /// <summary>dHash of a row-major 32x32 luminance grid: box-reduced to 9x8, one bit per left/right comparison.</summary>
    public static ulong Difference(ReadOnlySpan<byte> grid)
    {
        RequireGrid(grid);
        Span<double> reduced = stackalloc double[9 * 8];
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 9; x++)
            {
                // Area average over the source pixels this cell covers (32/9 and 32/8 source pixels per cell).
                double sum = 0, weight = 0;
                var x0 = x * Side / 9.0;
                var x1 = (x + 1) * Side / 9.0;
                for (var sy = y * 4; sy < (y + 1) * 4; sy++)
                {
                    for (var sx = (int)x0; sx < Math.Ceiling(x1); sx++)
                    {
                        var w = Math.Min(x1, sx + 1) - Math.Max(x0, sx);
                        sum += grid[(sy * Side) + sx] * w;
                        weight += w;
                    }
                }

                reduced[(y * 9) + x] = sum / weight;
            }
        }

        ulong hash = 0;
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                if (reduced[(y * 9) + x] < reduced[(y * 9) + x + 1])
                {
                    hash |= 1UL << ((y * 8) + x);
                }
            }
        }

        return hash;
    }

    /// <summary>
    /// The grid in each of the eight orientations a photo can be stored in (identity, three rotations, and their
    /// mirror images), identity first. A mirrored or turned copy of a photo is the same photo to the person who took it.
    /// </summary>
    public static byte[][] Orientations(ReadOnlySpan<byte> grid)
    {
        RequireGrid(grid);
        var result = new byte[8][];
        for (var o = 0; o < 8; o++)
        {
            var target = new byte[Side * Side];
            for (var y = 0; y < Side; y++)
            {
                for (var x = 0; x < Side; x++)
                {
                    var (sx, sy) = Source(o, x, y);
                    target[(y * Side) + x] = grid[(sy * Side) + sx];
                }
            }

            result[o] = target;
        }

        return result;
    }

    private static (int X, int Y) Source(int orientation, int x, int y)
    {
        const int m = Side - 1;
        return orientation switch
        {
            0 => (x, y),
            1 => (y, m - x),        // rotated 90 degrees
            2 => (m - x, m - y),    // 180
            3 => (m - y, x),        // 270
            4 => (m - x, y),        // mirrored left-right
            5 => (x, m - y),        // mirrored top-bottom
            6 => (y, x),            // transposed
            _ => (m - y, m - x),    // anti-transposed
        };
    }

    private static void RequireGrid(ReadOnlySpan<byte> grid)
    {
        if (grid.Length != Side * Side)
        {
            throw new ArgumentException($"expected a {Side}x{Side} grayscale grid, got {grid.Length} bytes", nameof(grid));
        }
    }

    private static double[,] BuildCosines()
    {
        var table = new double[Low, Side];
        for (var u = 0; u < Low; u++)
        {
            for (var x = 0; x < Side; x++)
            {
                table[u, x] = Math.Cos((2 * x + 1) * u * Math.PI / (2 * Side));
            }
        }

        return table;
    }
}
