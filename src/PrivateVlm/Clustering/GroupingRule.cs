namespace PrivateVlm.Clustering;

/// <summary>What is known about one (new photo, representative) pair: the best pHash distance over the photo's eight
/// orientations, the best distance between central squares over the trial turns (64 when either has none), how far
/// apart the capture times are (null when either is unknown), whether both name different cameras, and the CLIP
/// cosine (null when it was not looked at).</summary>
public readonly record struct PairEvidence(int Distance, int TiltedDistance, TimeSpan? Apart, bool CamerasDiffer, float? Cosine);

/// <summary>
/// Whether a new photo may join a representative's group:
/// <list type="bullet">
/// <item>both name a camera: the same one (when <see cref="ClusteringOptions.RequireSameCamera"/>);</item>
/// <item>both have a capture time: at most <see cref="ClusteringOptions.MaxTimeGap"/> apart (further apart never
/// join), and then the pHash within the burst limit, or a tilted copy, or a CLIP cosine at or above the burst cosine;</item>
/// <item>a time is unknown: the pHash within the stricter look-alike limit, or a tilted copy. CLIP never decides
/// alone here: it says "the same kind of picture", which two different photos of one subject also are.</item>
/// </list>
/// </summary>
public sealed record GroupingRule(ClusteringOptions Options)
{
    public const string Burst = "burst";
    public const string LookAlike = "look-alike";
    public const string TiltedCopy = "tilted copy";
    public const string ClipBurst = "burst (CLIP)";

    /// <summary>Largest pHash distance any rule accepts: representatives further away can only match another way.</summary>
    public int HashLimit => Math.Max(Options.MaxHashDistance, Options.MaxBurstHashDistance);

    public bool UsesCosine => Options.MinBurstCosine <= 1;

    public ClusterMatch? Judge(long representativeId, PairEvidence pair)
    {
        if (Options.RequireSameCamera && pair.CamerasDiffer)
        {
            return null;
        }

        if (pair.Apart is { } apart)
        {
            if (apart > Options.MaxTimeGap)
            {
                return null;
            }

            if (pair.Distance <= Options.MaxBurstHashDistance)
            {
                return new ClusterMatch(representativeId, pair.Distance, Burst, pair.Cosine);
            }

            if (pair.TiltedDistance <= Options.MaxTiltedHashDistance)
            {
                return new ClusterMatch(representativeId, pair.TiltedDistance, TiltedCopy, pair.Cosine);
            }

            return UsesCosine && pair.Cosine >= Options.MinBurstCosine
                ? new ClusterMatch(representativeId, pair.Distance, ClipBurst, pair.Cosine)
                : null;
        }

        if (pair.Distance <= Options.MaxHashDistance)
        {
            return new ClusterMatch(representativeId, pair.Distance, LookAlike, pair.Cosine);
        }

        return pair.TiltedDistance <= Options.MaxTiltedHashDistance
            ? new ClusterMatch(representativeId, pair.TiltedDistance, TiltedCopy, pair.Cosine)
            : null;
    }

    /// <summary>The rule on two whole candidates (the index computes the same evidence from its arrays).</summary>
    public ClusterMatch? Judge(ClusterCandidate photo, ClusterCandidate representative, float? cosine = null) =>
        Judge(representative.PhotoId, Evidence(photo, representative, cosine));

    /// <summary>Whether the CLIP cosine of this pair can decide: both capture times known and within the gap, the
    /// cameras not different, and the cosine check on.</summary>
    public bool CosineCanDecide(DateTime? photoTakenAt, DateTime? representativeTakenAt, bool camerasDiffer) =>
        UsesCosine && !(Options.RequireSameCamera && camerasDiffer)
        && photoTakenAt is { } a && representativeTakenAt is { } b && (a - b).Duration() <= Options.MaxTimeGap;

    public static PairEvidence Evidence(ClusterCandidate photo, ClusterCandidate representative, float? cosine) =>
        new(
            Distance(photo, representative),
            photo.TiltedTrials is { } trials && representative.TiltedTrials is { } theirs ? TiltedCopyHash.Distance(trials, theirs[0]) : 64,
            photo.TakenAt is { } a && representative.TakenAt is { } b ? (a - b).Duration() : null,
            photo.Camera is not null && representative.Camera is not null && !string.Equals(photo.Camera, representative.Camera, StringComparison.Ordinal),
            cosine);

    public static int Distance(ClusterCandidate photo, ClusterCandidate representative) =>
        PerceptualHash.MinDistance(photo.DctByOrientation, representative.Dct);
}
