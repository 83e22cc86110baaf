using System.Numerics.Tensors;

namespace PrivateVlm.Embeddings.Search;

/// <summary>One result of a similarity search: the row in the matrix and its cosine similarity to the query.</summary>
public readonly record struct RankedMatch(int Row, float Score);

/// <summary>
/// Exact top-k cosine ranking over a contiguous row-major matrix of L2-normalised embeddings (so cosine = dot
/// product). A bounded min-heap keeps memory at k entries however many photos there are.
/// </summary>
public static class CosineRanking
{
    public static IReadOnlyList<RankedMatch> TopK(ReadOnlySpan<float> matrix, int dimensions, ReadOnlySpan<float> query, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (query.Length != dimensions)
        {
            throw new ArgumentException($"The query has {query.Length} dimensions; the stored embeddings have {dimensions}.", nameof(query));
        }

        if (matrix.Length % dimensions != 0)
        {
            throw new ArgumentException($"The matrix length {matrix.Length} is not a multiple of {dimensions}.", nameof(matrix));
        }

        var rows = matrix.Length / dimensions;
        k = Math.Min(k, rows);
        if (k <= 0)
        {
            return [];
        }

        // Min-heap on score: the root is the weakest of the best k so far. Ties prefer the lower row (stable order).
        var heap = new PriorityQueue<int, (float Score, int NegRow)>(k + 1, WeakestFirst.Instance);
        for (var row = 0; row < rows; row++)
        {
            var score = TensorPrimitives.Dot(matrix.Slice(row * dimensions, dimensions), query);
            if (float.IsNaN(score))
            {
                continue;
            }

            if (heap.Count < k)
            {
                heap.Enqueue(row, (score, -row));
            }
            else if (heap.TryPeek(out _, out var weakest) && score > weakest.Score)
            {
                heap.DequeueEnqueue(row, (score, -row));
            }
        }

        var result = new RankedMatch[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            heap.TryDequeue(out var row, out var priority);
            result[i] = new RankedMatch(row, priority.Score);
        }

        return result;
    }

    private sealed class WeakestFirst : IComparer<(float Score, int NegRow)>
    {
        public static readonly WeakestFirst Instance = new();

        public int Compare((float Score, int NegRow) x, (float Score, int NegRow) y)
        {
            var byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : x.NegRow.CompareTo(y.NegRow);
        }
    }
}
