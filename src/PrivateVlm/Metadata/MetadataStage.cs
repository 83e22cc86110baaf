using PrivateVlm.Pipeline;

namespace PrivateVlm.Metadata;

/// <summary>L0: reads the photo's own metadata (time, zone, camera, lens, size, orientation, GPS) in milliseconds.</summary>
public sealed class MetadataStage : IPhotoStage
{
    public const string StageName = "metadata";

    private readonly PhotoMetadataReader _reader;
    private readonly TimeProvider _time;

    public MetadataStage(PhotoMetadataReader reader, TimeProvider time)
    {
        _reader = reader;
        _time = time;
    }

    public string Name => StageName;

    public IReadOnlyList<string> Prerequisites => [];

    // Reading metadata touches only the file's header blocks: milliseconds, so results are committed in batches.
    // A hostile file gets 10 s before it is given up.
    public StagePolicy Policy { get; } = new(
        Concurrency: 2, MaxAttempts: 3, Lease: TimeSpan.FromMinutes(5), TimeLimit: TimeSpan.FromSeconds(10), BatchSize: 16);

    public bool IsConfigured => true;

    public string? NotConfiguredReason => null;

    public async Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken)
    {
        // MetadataExtractor is synchronous: run it off the worker so the time limit can abandon a hung read.
        var metadata = await Task.Run(() => _reader.Read(job.Path), cancellationToken);
        var now = _time.GetUtcNow();
        return StageOutcome.Succeeded((connection, transaction) =>
            PhotoMetadataTable.Save(connection, transaction, job.PhotoId, metadata, now));
    }
}
