namespace PrivateVlm.Imaging;

/// <summary>The resolution-ladder arithmetic: which width x height a photo is sent at under a budget.</summary>
public static class VlmImageSize
{
    /// <summary>
    /// Largest size under <paramref name="budget"/> that keeps the aspect ratio of a <paramref name="width"/> x
    /// <paramref name="height"/> upright photo as closely as multiples of 28 allow. Never larger than the source
    /// (each side is at most the source side rounded down to 28) except that no side goes below 28.
    /// </summary>
    public static (int Width, int Height) Fit(int width, int height, VlmImageBudget budget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        budget.Validate();
        const int m = VlmImageBudget.Multiple;
        var maxLong = Math.Max(m, budget.MaxLongSide / m * m);

        var scale = Math.Min(1.0, Math.Min(
            (double)maxLong / Math.Max(width, height),
            Math.Sqrt((double)budget.MaxPixels / ((double)width * height))));
        var w0 = width * scale;
        var h0 = height * scale;

        // Nearest multiples keep the aspect ratio best; capped at the source so nothing is upscaled.
        var w = Math.Min(Nearest(w0), Floor(width));
        var h = Math.Min(Nearest(h0), Floor(height));
        if ((long)w * h > budget.MaxPixels || Math.Max(w, h) > maxLong)
        {
            w = Floor(w0);
            h = Floor(h0);
        }

        // Extreme panoramas: a short side held at 28 can push the area over budget; give it back on the long side.
        if ((long)w * h > budget.MaxPixels)
        {
            if (w >= h)
            {
                w = Math.Max(m, budget.MaxPixels / h / m * m);
            }
            else
            {
                h = Math.Max(m, budget.MaxPixels / w / m * m);
            }
        }

        return (w, h);

        static int Nearest(double side) => Math.Max(m, (int)Math.Round(side / m, MidpointRounding.AwayFromZero) * m);
        static int Floor(double side) => Math.Max(m, (int)Math.Floor(side / m) * m);
    }
}
