using PrivateVlm.Embeddings;

namespace PrivateVlm.Embeddings.Search;

/// <summary>A photo and how similar it is to a query.</summary>
public readonly record struct PhotoMatch(long PhotoId, float Score);

/// <summary>
/// In-memory embeddings of a photo library in one contiguous matrix (cache-friendly scans; 100,000 photos x 512 floats
/// is about 200 MB), searched exactly with <see cref="CosineRanking"/>. Not thread-safe for writes; the owner
/// serialises Add against Search.
/// </summary>
public sealed class EmbeddingIndex
{
    private float[] _matrix;
    private long[] _photoIds;

    public EmbeddingIndex(int dimensions, int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(initialCapacity, 1);
        Dimensions = dimensions;
        _matrix = new float[dimensions * initialCapacity];
        _photoIds = new long[initialCapacity];
    }

    public int Dimensions { get; }

    public int Count { get; private set; }

    /// <summary>Adds a photo's embedding (normalised on the way in, so stored rows are always unit length).</summary>
    public void Add(long photoId, ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != Dimensions)
        {
            throw new ArgumentException($"Embedding has {embedding.Length} dimensions; this index holds {Dimensions}.", nameof(embedding));
        }

        if (Count == _photoIds.Length)
        {
            Array.Resize(ref _photoIds, Count * 2);
            Array.Resize(ref _matrix, Count * 2 * Dimensions);
        }

        var row = _matrix.AsSpan(Count * Dimensions, Dimensions);
        embedding.CopyTo(row);
        EmbeddingVector.Normalize(row);
        _photoIds[Count++] = photoId;
    }

    /// <summary>The k photos most similar to the query (which need not be normalised), best first.</summary>
    public IReadOnlyList<PhotoMatch> Search(ReadOnlySpan<float> query, int k)
    {
        var unit = query.ToArray();
        EmbeddingVector.Normalize(unit);
        return CosineRanking.TopKParallel(_matrix.AsMemory(0, Count * Dimensions), Dimensions, unit, k)
            .Select(m => new PhotoMatch(_photoIds[m.Row], m.Score))
            .ToList();
    }
}
