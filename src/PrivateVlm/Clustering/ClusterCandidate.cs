namespace PrivateVlm.Clustering;

/// <summary>What grouping knows about one photo: its pHash in each orientation, camera capture time (null when the
/// photo has none, e.g. only a file modification time) and camera ("make model", null when unknown). A photo hashed
/// since migration 0006 also has its central square's hash at each trial turn; a photo with a CLIP embedding carries
/// it while it is being assigned (representatives' embeddings stay in the database).</summary>
public sealed record ClusterCandidate(long PhotoId, ulong[] DctByOrientation, DateTime? TakenAt, string? Camera)
{
    public ulong Dct => DctByOrientation[0];

    /// <summary>pHash of the central square at each of <see cref="TiltedCopyHash.TrialDegrees"/>; null before 0006.</summary>
    public ulong[]? TiltedTrials { get; init; }

    /// <summary>The photo's newest CLIP embedding, when it has one.</summary>
    public PhotoEmbedding? Embedding { get; init; }
}

/// <summary>A photo's CLIP image embedding as stored in photo_embeddings (model folder name, L2-normalised vector).</summary>
public sealed record PhotoEmbedding(string Model, float[] Vector);

/// <summary>The group a photo joins: its representative, the distance that justified it (pHash, or the central
/// squares' for a tilted copy), why, and the CLIP cosine when both photos have an embedding of one model.</summary>
public sealed record ClusterMatch(long RepresentativePhotoId, int Distance, string Reason, float? Cosine = null);
