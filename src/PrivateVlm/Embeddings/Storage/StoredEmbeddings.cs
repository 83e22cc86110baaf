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
        private float[] _matrix = [];
        private long[] _photoIds = [];
        private double?[] _latitudes = [];
        private double?[] _longitudes = [];
        private int _dimensions;
        private int _count;

        public void Add(long photoId, int rowDimensions, ReadOnlySpan<byte> vector, double? latitude, double? longitude)
        {
            Reserve(rowDimensions, photoId);
            EmbeddingBlob.Read(vector, _matrix.AsSpan(_count * _dimensions, _dimensions));
            Append(photoId, latitude, longitude);
        }

        private void Reserve(int rowDimensions, long photoId)
        {
            if (_count == 0)
            {
                _dimensions = rowDimensions;
            }
            else if (rowDimensions != _dimensions)
            {
                throw new InvalidDataException($"Photo {photoId} has a {rowDimensions}-d embedding; the others of this model have {_dimensions}.");
            }

            if (_count == _photoIds.Length)
            {
                var capacity = Math.Max(1024, _count * 2);
                Array.Resize(ref _photoIds, capacity);
                Array.Resize(ref _latitudes, capacity);
                Array.Resize(ref _longitudes, capacity);
                Array.Resize(ref _matrix, capacity * _dimensions);
            }
        }

        public void Add(long photoId, ReadOnlySpan<float> vector, double? latitude, double? longitude)
        {
            Reserve(vector.Length, photoId);
            vector.CopyTo(_matrix.AsSpan(_count * _dimensions, _dimensions));
            Append(photoId, latitude, longitude);
        }

        private void Append(long photoId, double? latitude, double? longitude)
        {
            _photoIds[_count] = photoId;
            _latitudes[_count] = latitude;
            _longitudes[_count] = longitude;
            _count++;
        }

        public StoredEmbeddings Build() => new(_matrix, _dimensions, _photoIds, _latitudes, _longitudes, _count);
    }
}
