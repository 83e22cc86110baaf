using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using PrivateVlm.Embeddings.Labelling;
using PrivateVlm.Embeddings.Storage;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Embeddings.Pipeline;

/// <summary>
/// L1: the photo's CLIP image embedding (for text and similarity search) and its top zero-shot labels from the
/// shipped label list. Not configured, with the reason, when no model or no ONNX Runtime is installed; L0 and the
/// tiers after L1 carry on without it.
/// </summary>
public sealed partial class EmbeddingStage : IPhotoStage
{
    public const string StageName = StageGraph.Embedding;

    private readonly InstalledClipModel _model;
    private readonly ImagePreparation _imaging;
    private readonly LabelEmbeddingCache _labelCache;
    private readonly ImageEncodeBatcher _batcher;
    private readonly TimeProvider _time;
    private readonly ILogger<EmbeddingStage> _logger;

    public EmbeddingStage(InstalledClipModel model, ImagePreparation imaging, LabelEmbeddingCache labelCache, ImageEncodeBatcher batcher,
        TimeProvider time, ILogger<EmbeddingStage> logger)
    {
        _batcher = batcher;
        Policy = new(Concurrency: batcher.MaxBatch, Lease: TimeSpan.FromMinutes(5), TimeLimit: TimeSpan.FromSeconds(90))
        {
            // An installed model that cannot be opened waits for a reinstall; each look costs a model open, so not often.
            Retry = RetryPolicy.Default with { ConfigurationProblemDelay = TimeSpan.FromMinutes(30) },
        };
        _model = model;
        _imaging = imaging;
        _labelCache = labelCache;
        _time = time;
        _logger = logger;
    }

    public string Name => StageName;

    public IReadOnlyList<string> Prerequisites => StageGraph.PrerequisitesOf(StageName);

    // ONNX Runtime already spreads one encode over IntraOpThreads (2) cores, so the encoder runs one call at a time.
    // Workers = EncodeBatch so that, with a backlog, photos are decoded while the previous batch encodes and then
    // encoded together (the l1-photo benchmark measured batch 4 ~1.5x the photos/s of batch 1 on 2 cores); a lone
    // photo never waits for a batch. Results stay per photo (BatchSize 1): each is durable as soon as it exists.
    // The time limit covers the first photo's model open and label encoding, and waiting behind one batch.
    public StagePolicy Policy { get; }

    public bool IsConfigured => _model.IsInstalled;

    public string? NotConfiguredReason => _model.Problem;

    public async Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken)
    {
        ClipModel clip;
        LabelEmbeddings labels;
        try
        {
            clip = await Task.Run(_model.Open, cancellationToken).ConfigureAwait(false);
            labels = await _labelCache.GetAsync(clip, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ClipModelException or OnnxModelException or OnnxRuntimeUnavailableException or OnnxRuntimeException)
        {
            LogModelUnusable(_logger, _model.Options.ModelFolder(_model.Paths), e.Message);
            return new StageOutcome.Postponed(Policy.Retry.ConfigurationProblemDelay, $"CLIP model cannot be opened: {e.Message}");
        }

        var folder = clip.Folder;
        var spec = new EncoderInputSpec(folder.ImageSize, [.. folder.Mean], [.. folder.Std]);
        float[] pixels;
        try
        {
            pixels = await _imaging.PrepareEncoderInputAsync(job, spec, cancellationToken).ConfigureAwait(false);
        }
        catch (PhotoRejectedException e)
        {
            return new StageOutcome.Rejected(e.Message);
        }

        var embedding = await _batcher.EncodeAsync(pixels, cancellationToken).ConfigureAwait(false);
        var top = labels.TopLabels(embedding);
        var now = _time.GetUtcNow();
        return StageOutcome.Succeeded((connection, transaction) =>
            EmbeddingTables.SavePhoto(connection, transaction, job.PhotoId, folder.Name, embedding, labels.Labels.Version, top, now));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "L1 paused: the CLIP model in {Folder} cannot be opened ({Reason}). Photos wait; reinstall the model (see models/README.md).")]
    private static partial void LogModelUnusable(ILogger logger, string folder, string reason);
}
