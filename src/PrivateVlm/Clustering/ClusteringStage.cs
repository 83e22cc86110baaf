using Microsoft.Extensions.Options;
using PrivateVlm.Imaging;
using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;

namespace PrivateVlm.Clustering;

/// <summary>
/// Near-duplicate grouping: hashes the photo's 32 px thumbnail (outside any transaction), then, inside the job's
/// transaction, joins the closest accepted representative's group or starts a group of its own. One worker, one
/// photo per transaction, so two look-alikes arriving together cannot both become representatives.
/// </summary>
public sealed class ClusteringStage : IPhotoStage
{
    public const string StageName = "clustering";

    private readonly ImagePreparation _imaging;
    private readonly ClusterMembership _membership;
    private readonly ClusteringOptions _options;
    private readonly TimeProvider _time;

    public ClusteringStage(ImagePreparation imaging, ClusterMembership membership, IOptions<ClusteringOptions> options, TimeProvider time)
    {
        _imaging = imaging;
        _membership = membership;
        _options = options.Value;
        _time = time;
    }

    public string Name => StageName;

    // After metadata for the capture time and camera. Grouping uses the perceptual hash only (no CLIP cosine yet), so
    // it does not wait for L1.
    public IReadOnlyList<string> Prerequisites => [MetadataStage.StageName];

    public StagePolicy Policy { get; } = new(
        Concurrency: 1, MaxAttempts: 3, Lease: TimeSpan.FromMinutes(2), TimeLimit: TimeSpan.FromSeconds(30));

    public bool IsConfigured => _options.Enabled;

    public string? NotConfiguredReason => _options.Enabled ? null : "Clustering:Enabled is false";

    public async Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken)
    {
        var grid = await _imaging.GrayscaleThumbnailAsync(job.Path, PerceptualHash.Side, PerceptualHash.Side, cancellationToken);
        var hashes = PhotoHashes.Of(grid);
        var now = _time.GetUtcNow();
        return StageOutcome.Succeeded((connection, transaction) =>
        {
            ClusterTables.SaveHashes(connection, transaction, job.PhotoId, hashes, now);
            _membership.Assign(connection, transaction, job.PhotoId, now);
        });
    }
}
