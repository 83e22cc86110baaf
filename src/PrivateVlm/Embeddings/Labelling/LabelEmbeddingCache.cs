using Microsoft.Extensions.Logging;
using PrivateVlm.Embeddings.Storage;
using PrivateVlm.Storage;

namespace PrivateVlm.Embeddings.Labelling;

/// <summary>
/// Label prompt embeddings, encoded once per model and label list and kept in label_embeddings: a restart reads them
/// back instead of running ~400 prompts through the text model again. Held in memory after the first photo.
/// </summary>
public sealed partial class LabelEmbeddingCache
{
    // Prompts per text-encoder call: bounds the token and output tensors while keeping calls few.
    private const int EncodeChunk = 64;

    private readonly LibraryDatabase _database;
    private readonly ZeroShotLabels _labels;
    private readonly TimeProvider _time;
    private readonly ILogger<LabelEmbeddingCache> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LabelEmbeddings? _loaded;

    public LabelEmbeddingCache(LibraryDatabase database, ZeroShotLabels labels, TimeProvider time, ILogger<LabelEmbeddingCache> logger)
    {
        _database = database;
        _labels = labels;
        _time = time;
        _logger = logger;
    }

    public async Task<LabelEmbeddings> GetAsync(ClipModel model, CancellationToken cancellationToken)
    {
        if (_loaded is { } ready && ready.Model == model.Folder.Name)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loaded is { } again && again.Model == model.Folder.Name)
            {
                return again;
            }

            _loaded = await LoadOrEncodeAsync(model, cancellationToken).ConfigureAwait(false);
            return _loaded;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<LabelEmbeddings> LoadOrEncodeAsync(ClipModel model, CancellationToken cancellationToken)
    {
        var name = model.Folder.Name;
        var dimensions = model.Folder.EmbedDimensions;
        Dictionary<string, float[]> stored;
        using (var connection = _database.Open())
        {
            stored = EmbeddingTables.ReadLabelEmbeddings(connection, name, _labels.Version);
        }

        var missing = _labels.Labels.Where(l => !stored.TryGetValue(l, out var v) || v.Length != dimensions).ToList();
        if (missing.Count > 0)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var vectors = await Task.Run(
                () => missing.Chunk(EncodeChunk).SelectMany(chunk => model.Texts.Encode(chunk.Select(ZeroShotLabels.Prompt).ToList())).ToList(),
                cancellationToken).ConfigureAwait(false);
            await _database.WriteAsync(
                (connection, transaction) => EmbeddingTables.SaveLabelEmbeddings(connection, transaction, name, _labels.Version, missing, vectors, _time.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < missing.Count; i++)
            {
                stored[missing[i]] = vectors[i];
            }

            LogEncoded(_logger, missing.Count, _labels.Version, name, clock.Elapsed.TotalSeconds);
        }

        var matrix = new float[_labels.Labels.Count * dimensions];
        for (var i = 0; i < _labels.Labels.Count; i++)
        {
            stored[_labels.Labels[i]].CopyTo(matrix, i * dimensions);
        }

        return new LabelEmbeddings(name, _labels, matrix, dimensions);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Encoded {Count} label prompts of {LabelList} with {Model} in {Seconds:F1} s; cached in the database")]
    private static partial void LogEncoded(ILogger logger, int count, string labelList, string model, double seconds);
}
