namespace PrivateVlm.Clustering;

/// <summary>What grouping knows about one photo: its pHash in each orientation, camera capture time (null when the
/// photo has none, e.g. only a file modification time) and camera ("make model", null when unknown).</summary>
public sealed record ClusterCandidate(long PhotoId, ulong[] DctByOrientation, DateTime? TakenAt, string? Camera)
{
    public ulong Dct => DctByOrientation[0];
}

/// <summary>The group a photo joins: its representative and the pHash distance to it.</summary>
public sealed record ClusterMatch(long RepresentativePhotoId, int Distance, string Reason);
