using PrivateVlm.Imaging;

namespace PrivateVlm.Clustering;

/// <summary>
/// A photo's perceptual hashes: pHash and dHash of each of the eight orientations (index 0 is the photo as shown),
/// and the pHash of its central square turned by each of <see cref="TiltedCopyHash.TrialDegrees"/> (index 0 as shown).
/// Comparing the new photo's variants against the other photo's hash as shown finds a turned, mirrored or tilted copy.
/// </summary>
public sealed record PhotoHashes(ulong[] DctByOrientation, ulong[] DifferenceByOrientation, ulong[] TiltedTrials)
{
    public ulong Dct => DctByOrientation[0];

    public ulong Difference => DifferenceByOrientation[0];

    /// <summary>The central square as shown: what a representative is compared by.</summary>
    public ulong CentreSquare => TiltedTrials[0];

    /// <summary>Reads one small aspect-preserving grayscale thumbnail of the photo: its central square is turned for
    /// the tilted hashes, and squashed to 32x32 it is the pHash grid.</summary>
    public static async Task<PhotoHashes> OfPhotoAsync(ImagePreparation imaging, string path, CancellationToken cancellationToken)
    {
        var header = await imaging.ReadHeaderAsync(path, cancellationToken).ConfigureAwait(false);
        var (width, height) = TiltedCopyHash.ThumbnailSize(header.Width, header.Height);
        var thumbnail = await imaging.GrayscaleThumbnailAsync(path, width, height, cancellationToken).ConfigureAwait(false);
        return Of(HashGrid.Squash(thumbnail, width, height), TiltedCopyHash.Trials(thumbnail, width, height));
    }

    /// <summary><see cref="OfPhotoAsync(ImagePreparation, string, CancellationToken)"/> for a photo in the pipeline:
    /// the thumbnail comes from the photo's one decode that the other stages share.</summary>
    public static async Task<PhotoHashes> OfPhotoAsync(ImagePreparation imaging, Pipeline.PhotoJob job, CancellationToken cancellationToken)
    {
        var header = await imaging.ReadHeaderAsync(job, cancellationToken).ConfigureAwait(false);
        var (width, height) = TiltedCopyHash.ThumbnailSize(header.Width, header.Height);
        var thumbnail = await imaging.GrayscaleThumbnailAsync(job, width, height, cancellationToken).ConfigureAwait(false);
        return Of(HashGrid.Squash(thumbnail, width, height), TiltedCopyHash.Trials(thumbnail, width, height));
    }

    public static PhotoHashes Of(ReadOnlySpan<byte> grid, ulong[] tiltedTrials)
    {
        var orientations = PerceptualHash.Orientations(grid);
        return new PhotoHashes(
            orientations.Select(o => PerceptualHash.Dct(o)).ToArray(),
            orientations.Select(o => PerceptualHash.Difference(o)).ToArray(),
            tiltedTrials);
    }

    /// <summary>Smallest pHash distance between any orientation of this photo and the other photo as shown.</summary>
    public int DctDistance(PhotoHashes other) => PerceptualHash.MinDistance(DctByOrientation, other.Dct);

    public int DifferenceDistance(PhotoHashes other) => PerceptualHash.MinDistance(DifferenceByOrientation, other.Difference);

    /// <summary>Smallest distance between this photo's central square at any trial turn and the other's as shown.</summary>
    public int TiltedDistance(PhotoHashes other) => TiltedCopyHash.Distance(TiltedTrials, other.CentreSquare);
}
