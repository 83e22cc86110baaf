namespace PrivateVlm.Clustering;

/// <summary>
/// Whether a new photo may join a representative's group: same camera when both name one, capture times within
/// the gap when both have one (far apart never join), and a pHash distance under the burst limit when the times
/// are close, under the stricter limit when either time is unknown.
/// </summary>
public sealed record GroupingRule(ClusteringOptions Options)
{
    public ClusterMatch? Judge(ClusterCandidate photo, ClusterCandidate representative)
    {
        if (Options.RequireSameCamera && photo.Camera is not null && representative.Camera is not null
            && !string.Equals(photo.Camera, representative.Camera, StringComparison.Ordinal))
        {
            return null;
        }

        var distance = Distance(photo, representative);
        if (photo.TakenAt is { } a && representative.TakenAt is { } b)
        {
            return (a - b).Duration() <= Options.MaxTimeGap && distance <= Options.MaxBurstHashDistance
                ? new ClusterMatch(representative.PhotoId, distance, "burst")
                : null;
        }

        return distance <= Options.MaxHashDistance ? new ClusterMatch(representative.PhotoId, distance, "look-alike") : null;
    }

    public static int Distance(ClusterCandidate photo, ClusterCandidate representative)
    {
        var best = 64;
        foreach (var hash in photo.DctByOrientation)
        {
            best = Math.Min(best, PerceptualHash.Distance(hash, representative.Dct));
        }

        return best;
    }
}
