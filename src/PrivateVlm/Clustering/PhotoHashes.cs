namespace PrivateVlm.Clustering;

/// <summary>
/// A photo's perceptual hashes: pHash and dHash of each of the eight orientations (index 0 is the photo as shown).
/// Comparing the new photo's eight against the other photo's upright hash finds a turned or mirrored copy.
/// </summary>
public sealed record PhotoHashes(ulong[] DctByOrientation, ulong[] DifferenceByOrientation)
{
    public ulong Dct => DctByOrientation[0];

    public ulong Difference => DifferenceByOrientation[0];

    public static PhotoHashes Of(ReadOnlySpan<byte> grid)
    {
        var orientations = PerceptualHash.Orientations(grid);
        return new PhotoHashes(
            orientations.Select(o => PerceptualHash.Dct(o)).ToArray(),
            orientations.Select(o => PerceptualHash.Difference(o)).ToArray());
    }

    /// <summary>Smallest pHash distance between any orientation of this photo and the other photo as shown.</summary>
    public int DctDistance(PhotoHashes other) => MinDistance(DctByOrientation, other.Dct);

    public int DifferenceDistance(PhotoHashes other) => MinDistance(DifferenceByOrientation, other.Difference);

    private static int MinDistance(ulong[] mine, ulong theirs)
    {
        var best = 64;
        foreach (var hash in mine)
        {
            best = Math.Min(best, PerceptualHash.Distance(hash, theirs));
        }

        return best;
    }
}
