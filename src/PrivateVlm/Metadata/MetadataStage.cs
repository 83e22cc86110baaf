using Microsoft.Extensions.Options;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Metadata;

/// <summary>L0: reads the photo's own metadata (time, zone, camera, lens, size, orientation, GPS) in milliseconds.</summary>
public sealed class MetadataStage : IPhotoStage
{
    public const string StageName = StageGraph.Metadata;

    // Beyond the parse's own limit: opening the file (a stalled network volume) and saving. The reader's limit fires
    // first for a slow parse, so a hostile file is rejected with that clear reason instead of a generic timeout.
    private static readonly TimeSpan OutsideTheParse = TimeSpan.FromSeconds(5);

    private readonly PhotoMetadataReader _reader;
    private readonly TimeProvider _time;

    public MetadataStage(PhotoMetadataReader reader, IOptions<MetadataOptions> options, TimeProvider time)
    {
        _reader = reader;
        _time = time;
        // Reading metadata touches only the file's header blocks: milliseconds, so results are committed in batches.
        Policy = new StagePolicy(
            Concurrency: 2, Lease: TimeSpan.FromMinutes(5), TimeLimit: options.Value.TimeLimit + OutsideTheParse, BatchSize: 16);
    }

    public string Name => StageName;

    public IReadOnlyList<string> Prerequisites => StageGraph.PrerequisitesOf(StageName);

    public StagePolicy Policy { get; }

    public bool IsConfigured => true;

    public string? NotConfiguredReason => null;

    public async Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken)
    {
        // MetadataExtractor is synchronous: run it off the worker. The reader bounds the parse itself, so this thread
        // is held for at most Metadata:TimeLimit even when a file stalls the parser.
        var metadata = await Task.Run(() => _reader.Read(job.Path), cancellationToken);
        var now = _time.GetUtcNow();
        return StageOutcome.Succeeded((connection, transaction) =>
            PhotoMetadataTable.Save(connection, transaction, job.PhotoId, metadata, now));
    }
}
