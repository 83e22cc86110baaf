namespace PrivateVlm.Clustering;

/// <summary>The "Clustering" configuration section. Defaults are justified by the near-dup-distances benchmark
/// (see README.md in this folder).</summary>
public sealed record ClusteringOptions
{
    public const string Section = "Clustering";

    /// <summary>False turns the stage off (every photo gets its own analysis).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>pHash distance (best of eight orientations) under which two photos are the same picture regardless of
    /// when they were taken. Measured: variants of one scene 0-2, distinct scenes never below 20.</summary>
    public int MaxHashDistance { get; set; } = 8;

    /// <summary>Looser pHash distance allowed when both photos have a camera capture time within
    /// <see cref="MaxTimeGap"/> (a burst): distinct scenes measured never below 20.</summary>
    public int MaxBurstHashDistance { get; set; } = 14;

    /// <summary>Distance between the central squares of two photos, one turned by up to 30 degrees (a tilted or
    /// straightened copy with black corners), under which they are the same picture. Measured: a copy turned by 30
    /// degrees 2, distinct scenes never below 18 at any trial turn. Negative turns the check off.</summary>
    public int MaxTiltedHashDistance { get; set; } = 8;

    /// <summary>CLIP cosine similarity at or above which two photos taken within <see cref="MaxTimeGap"/> by the same
    /// camera are one group even when their hashes differ (a burst whose subject moved). Used only when both photos
    /// have an embedding of the same model and both capture times are known. Not measured here (no real CLIP
    /// weights): a conservative value, see README.md; above 1 turns the check off.</summary>
    public double MinBurstCosine { get; set; } = 0.97;

    /// <summary>Two photos with known capture times further apart than this never share a group.</summary>
    public TimeSpan MaxTimeGap { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>When both photos name their camera, they must name the same one.</summary>
    public bool RequireSameCamera { get; set; } = true;
}
