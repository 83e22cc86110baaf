namespace PrivateVlm.Clustering;

/// <summary>
/// The representative a group member inherits its VLM results from, and how alike the two photos are.
/// </summary>
/// <param name="Distance">Hash distance of the match (bits of 64).</param>
/// <param name="Cosine">CLIP cosine, when both photos have an embedding of the same model.</param>
public sealed record InheritedFrom(long RepresentativeId, int Distance, double? Cosine)
{
    /// <summary>
    /// Stored with inherited results: the CLIP cosine when known, since it judges content; otherwise the share of
    /// hash bits that agree.
    /// </summary>
    public double Similarity => Cosine ?? 1.0 - (Distance / 64.0);
}
