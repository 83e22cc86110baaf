using Microsoft.Extensions.Options;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;

namespace PrivateVlm.Clustering;

/// <summary>
/// Near-duplicate grouping: hashes the photo's small grayscale thumbnails (outside any transaction), then, inside the job's
/// transaction, joins the closest accepted representative's group or starts a group of its own. One worker, one
/// photo per transaction, so two look-alikes arriving together cannot both become representatives.
/// </summary>
public sealed class ClusteringStage : IPhotoStage
{
    public const string StageName = StageGraph.Clustering;

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

    public IReadOnlyList<string> Prerequisites => StageGraph.PrerequisitesOf(StageName);

    public StagePolicy Policy { get; } = new(
        Concurrency: 1, Lease: TimeSpan.FromMinutes(2), TimeLimit: TimeSpan.FromSeconds(30));

    public bool IsConfigured => _options.Enabled;

    public string? NotConfiguredReason => _options.Enabled ? null : "Clustering:Enabled is false";

    public async Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken)
    {
        var hashes = await PhotoHashes.OfPhotoAsync(_imaging, job, cancellationToken);
        var now = _time.GetUtcNow();
        return StageOutcome.Succeeded((connection, transaction) =>
        {
            ClusterTables.SaveHashes(connection, transaction, job.PhotoId, hashes, now);
            _membership.Assign(connection, transaction, job.PhotoId, now);
        });
    }
}
