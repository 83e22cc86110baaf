using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Embeddings.Storage;
using PrivateVlm.Storage;

namespace PrivateVlm.Embeddings.Search;

/// <summary>
/// Text and similar-photo search over the stored embeddings of the configured model, on a read-only connection
/// (it works while the daemon runs). Loads the matching embeddings into one matrix, applies the metadata filters,
/// then ranks exactly with <see cref="CosineRanking.TopKParallel"/>.
/// </summary>
public sealed class PhotoSearch
{
    /// <summary>Labels shown per result.</summary>
    public const int LabelsShown = 3;

    private readonly LibraryDatabase _database;
    private readonly InstalledClipModel _model;

    public PhotoSearch(LibraryDatabase database, InstalledClipModel model)
    {
        _database = database;
        _model = model;
    }

    /// <summary>Photos best matching <paramref name="text"/> (e.g. "a dog on a beach"), best first.</summary>
    /// <exception cref="SearchUnavailableException">No model configured, or no photo has an embedding yet.</exception>
    public async Task<IReadOnlyList<SearchHit>> SearchTextAsync(string text, int limit, SearchFilters filters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var folder = ConfiguredFolder();
        using var connection = _database.OpenReadOnly();
        var stored = Load(connection, folder.Name, filters);
        if (stored.Count == 0)
        {
            return [];
        }

        var query = await Task.Run(() =>
        {
            // One short text per run: CoreML's model compilation would cost more than the CPU encode it saves.
            using var encoder = ClipTextEncoder.Open(folder, _model.Options.SessionOptions(_model.Paths) with { PreferCoreML = false });
            return encoder.Encode(text);
        }, cancellationToken).ConfigureAwait(false);
        if (query.Length != stored.Dimensions)
        {
            throw new SearchUnavailableException(
                $"Model {folder.Name} now gives {query.Length}-d text embeddings but the stored photo embeddings have {stored.Dimensions}; the model files changed. Re-run L1 for the library.");
        }

        return Rank(connection, folder.Name, stored, query, limit, exclude: null);
    }

    /// <summary>Photos most similar to <paramref name="photo"/> (a path under the watched folder or a photo id), itself excluded.</summary>
    public Task<IReadOnlyList<SearchHit>> SimilarAsync(string photo, int limit, SearchFilters filters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(photo);
        cancellationToken.ThrowIfCancellationRequested();
        var folder = ConfiguredFolder();
        using var connection = _database.OpenReadOnly();
        var photoId = ResolvePhoto(connection, photo);
        var query = EmbeddingTables.ReadEmbedding(connection, photoId, folder.Name)
            ?? throw new SearchUnavailableException($"Photo {photoId} ({photo}) has no {folder.Name} embedding yet; `privatevlm status` shows whether L1 is still working on it or failed.");
        var stored = Load(connection, folder.Name, filters);
        IReadOnlyList<SearchHit> hits = stored.Count == 0 ? [] : Rank(connection, folder.Name, stored, query, limit, exclude: photoId);
        return Task.FromResult(hits);
    }

    private ClipModelFolder ConfiguredFolder()
    {
        if (!_model.IsInstalled)
        {
            throw new SearchUnavailableException($"Search needs the L1 CLIP model, which is not configured: {_model.Problem}");
        }

        return _model.Folder;
    }

    private static StoredEmbeddings Load(SqliteConnection connection, string modelName, SearchFilters filters)
    {
        if (EmbeddingTables.CountEmbeddings(connection, modelName) == 0)
        {
            throw new SearchUnavailableException(
                $"No photo has a {modelName} embedding yet. Is the daemon running (`privatevlm status` shows the embedding stage)?");
        }

        var stored = EmbeddingTables.ReadSearchable(connection, modelName, filters.SinceText);
        return filters.Near is { } near ? stored.Keep(row => near.Contains(stored.Latitudes[row], stored.Longitudes[row])) : stored;
    }

    private static IReadOnlyList<SearchHit> Rank(
        SqliteConnection connection, string modelName, StoredEmbeddings stored, float[] query, int limit, long? exclude)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var unit = (float[])query.Clone();
        EmbeddingVector.Normalize(unit);
        // The query photo ranks itself first: ask for one more and drop it.
        var matches = CosineRanking.TopKParallel(stored.Rows, stored.Dimensions, unit, limit + (exclude is null ? 0 : 1))
            .Where(m => stored.PhotoIds[m.Row] != exclude)
            .Take(limit)
            .ToList();
        var facts = EmbeddingTables.ReadFacts(connection, matches.Select(m => stored.PhotoIds[m.Row]).ToList(), modelName, LabelsShown);
        return matches.Select((m, i) =>
        {
            var id = stored.PhotoIds[m.Row];
            var f = facts.GetValueOrDefault(id);
            return new SearchHit(i + 1, id, f?.Path, m.Score, f?.TakenAt, f?.Latitude, f?.Longitude, f?.Labels ?? []);
        }).ToList();
    }

    private static long ResolvePhoto(SqliteConnection connection, string photo)
    {
        var path = Path.GetFullPath(photo);
        var byPath = connection.QueryFirstOrDefault<long?>(
            "SELECT photo_id FROM files WHERE path = @path AND photo_id IS NOT NULL", new { path });
        if (byPath is { } id)
        {
            return id;
        }

        if (long.TryParse(photo, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && connection.ExecuteScalar<long>("SELECT count(*) FROM photos WHERE id = @number", new { number }) == 1)
        {
            return number;
        }

        throw new SearchUnavailableException($"'{photo}' is neither a file the daemon has seen ({path}) nor a photo id.");
    }
}
