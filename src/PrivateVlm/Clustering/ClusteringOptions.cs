namespace PrivateVlm.Clustering;

/// <summary>The "Clustering" configuration section. Defaults are justified by the near-dup-distances benchmark
/// (see README.md in this folder).</summary>
public sealed record ClusteringOptions
{
    public const string Section = "Clustering";

    /// <summary>False turns the stage off (every photo gets its own analysis).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>pHash distance (best of eight orientations) under which two photos are the same picture regardless of
    /// when they were taken. Measured: variants of one scene 0-2, distinct scenes never below 18.</summary>
    public int MaxHashDistance { get; set; } = 8;

    /// <summary>Looser pHash distance allowed when both photos have a camera capture time within
    /// <see cref="MaxTimeGap"/> (a burst): distinct scenes measured never below 18.</summary>
    public int MaxBurstHashDistance { get; set; } = 14;

    /// <summary>Two photos with known capture times further apart than this never share a group.</summary>
    public TimeSpan MaxTimeGap { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>When both photos name their camera, they must name the same one.</summary>
    public bool RequireSameCamera { get; set; } = true;
}
