namespace PrivateVlm.Embeddings.Storage;

/// <summary>
/// Stored embeddings loaded for a search: one contiguous row-major matrix (no per-photo arrays) with each row's photo
/// and GPS position alongside.
/// </summary>
public sealed class StoredEmbeddings
{
    private StoredEmbeddings(float[] matrix, int dimensions, long[] photoIds, double?[] latitudes, double?[] longitudes, int count)
    {
        Matrix = matrix;
        Dimensions = dimensions;
        PhotoIds = photoIds;
        Latitudes = latitudes;
        Longitudes = longitudes;
        Count = count;
    }

    /// <summary>Count x Dimensions floats (the array may be longer; only that prefix is meaningful).</summary>
    public float[] Matrix { get; }

    public int Dimensions { get; }

    public long[] PhotoIds { get; }

    public double?[] Latitudes { get; }

    public double?[] Longitudes { get; }

    public int Count { get; }

    public ReadOnlyMemory<float> Rows => Matrix.AsMemory(0, Count * Dimensions);

    /// <summary>A compacted copy holding only the rows <paramref name="keep"/> accepts, in the same order.</summary>
    public StoredEmbeddings Keep(Func<int, bool> keep)
    {
        var builder = new Builder();
        for (var row = 0; row < Count; row++)
        {
            if (keep(row))
            {
                builder.Add(PhotoIds[row], Matrix.AsSpan(row * Dimensions, Dimensions), Latitudes[row], Longitudes[row]);
            }
        }

        return builder.Build();
    }

    internal sealed class Builder
    {
        private float[] matrix = [];
        private long[] photoIds = [];
        private double?[] latitudes = [];
        private double?[] longitudes = [];
        private int dimensions;
        private int count;

        public void Add(long photoId, int rowDimensions, ReadOnlySpan<byte> vector, double? latitude, double? longitude)
        {
            Reserve(rowDimensions, photoId);
            EmbeddingBlob.Read(vector, matrix.AsSpan(count * dimensions, dimensions));
            Append(photoId, latitude, longitude);
        }

        private void Reserve(int rowDimensions, long photoId)
        {
            if (count == 0)
            {
                dimensions = rowDimensions;
            }
            else if (rowDimensions != dimensions)
            {
                throw new InvalidDataException($"Photo {photoId} has a {rowDimensions}-d embedding; the others of this model have {dimensions}.");
            }

            if (count == photoIds.Length)
            {
                var capacity = Math.Max(1024, count * 2);
                Array.Resize(ref photoIds, capacity);
                Array.Resize(ref latitudes, capacity);
                Array.Resize(ref longitudes, capacity);
                Array.Resize(ref matrix, capacity * dimensions);
            }
        }

        public void Add(long photoId, ReadOnlySpan<float> vector, double? latitude, double? longitude)
        {
            Reserve(vector.Length, photoId);
            vector.CopyTo(matrix.AsSpan(count * dimensions, dimensions));
            Append(photoId, latitude, longitude);
        }

        private void Append(long photoId, double? latitude, double? longitude)
        {
            photoIds[count] = photoId;
            latitudes[count] = latitude;
            longitudes[count] = longitude;
            count++;
        }

        public StoredEmbeddings Build() => new(matrix, dimensions, photoIds, latitudes, longitudes, count);
    }
}
