namespace PrivateVlm.Benchmarks;

/// <summary>Summary statistics of measured samples (milliseconds or any unit), by nearest rank.</summary>
public static class Percentiles
{
    public static double Of(IReadOnlyList<double> samples, double percentile)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Describe(IReadOnlyList<double> samples, string unit = "ms") =>
        $"n={samples.Count} p50={Of(samples, 50):F2}{unit} p95={Of(samples, 95):F2}{unit} max={Of(samples, 100):F2}{unit}";
}
