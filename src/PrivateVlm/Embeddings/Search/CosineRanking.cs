using System.Numerics.Tensors;

namespace PrivateVlm.Embeddings.Search;

/// <summary>One result of a similarity search: the row in the matrix and its cosine similarity to the query.</summary>
public readonly record struct RankedMatch(int Row, float Score);

/// <summary>
/// Exact top-k cosine ranking over a contiguous row-major matrix of L2-normalised embeddings (so cosine = dot
/// product). Each scan keeps a bounded min-heap of k entries however many photos there are. Equal scores rank the
/// lower row first; NaN scores are skipped.
/// </summary>
public static class CosineRanking
{
    // Below this many rows per chunk, starting another thread costs more than the scan it saves.
    private const int MinRowsPerChunk = 8192;

    /// <summary>Single-threaded scan.</summary>
    public static IReadOnlyList<RankedMatch> TopK(ReadOnlySpan<float> matrix, int dimensions, ReadOnlySpan<float> query, int k)
    {
        var rows = Validate(matrix.Length, dimensions, query.Length);
        k = Math.Min(k, rows);
        if (k <= 0)
        {
            return [];
        }

        var heap = new TopHeap(k);
        heap.Scan(matrix, dimensions, query, 0, rows);
        return heap.Sorted();
    }

    /// <summary>
    /// The scan split over up to <paramref name="parallelism"/> chunks (default: the processor count), each with its
    /// own heap, merged at the end; the result equals the single-threaded one exactly.
    /// </summary>
    public static IReadOnlyList<RankedMatch> TopKParallel(
        ReadOnlyMemory<float> matrix, int dimensions, ReadOnlyMemory<float> query, int k, int? parallelism = null)
    {
        var rows = Validate(matrix.Length, dimensions, query.Length);
        k = Math.Min(k, rows);
        if (k <= 0)
        {
            return [];
        }

        var chunks = Math.Clamp(Math.Min(parallelism ?? Environment.ProcessorCount, rows / MinRowsPerChunk), 1, 64);
        if (chunks == 1)
        {
            return TopK(matrix.Span, dimensions, query.Span, k);
        }

        var heaps = new TopHeap[chunks];
        var perChunk = (rows + chunks - 1) / chunks;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            var first = c * perChunk;
            var end = Math.Min(rows, first + perChunk);
            var heap = new TopHeap(k);
            heap.Scan(matrix.Span, dimensions, query.Span, first, end);
            heaps[c] = heap;
        });

        var merged = new TopHeap(k);
        foreach (var heap in heaps)
        {
            heap.CopyInto(merged);
        }

        return merged.Sorted();
    }

    private static int Validate(int matrixLength, int dimensions, int queryLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (queryLength != dimensions)
        {
            throw new ArgumentException($"The query has {queryLength} dimensions; the stored embeddings have {dimensions}.", nameof(queryLength));
        }

        if (matrixLength % dimensions != 0)
        {
            throw new ArgumentException($"The matrix length {matrixLength} is not a multiple of {dimensions}.", nameof(matrixLength));
        }

        return matrixLength / dimensions;
    }

    /// <summary>A fixed-size min-heap in two arrays: the root is the weakest of the best k so far (lowest score,
    /// then highest row). No allocation per row.</summary>
    private sealed class TopHeap(int capacity)
    {
        private readonly float[] _scores = new float[capacity];
        private readonly int[] _rows = new int[capacity];
        private int _count;

        public void Scan(ReadOnlySpan<float> matrix, int dimensions, ReadOnlySpan<float> query, int first, int end)
        {
            for (var row = first; row < end; row++)
            {
                Offer(TensorPrimitives.Dot(matrix.Slice(row * dimensions, dimensions), query), row);
            }
        }

        public void Offer(float score, int row)
        {
            if (float.IsNaN(score))
            {
                return;
            }

            if (_count < capacity)
            {
                _scores[_count] = score;
                _rows[_count] = row;
                SiftUp(_count++);
            }
            else if (Weaker(_scores[0], _rows[0], score, row))
            {
                _scores[0] = score;
                _rows[0] = row;
                SiftDown(0);
            }
        }

        public void CopyInto(TopHeap other)
        {
            for (var i = 0; i < _count; i++)
            {
                other.Offer(_scores[i], _rows[i]);
            }
        }

        public RankedMatch[] Sorted()
        {
            var result = new RankedMatch[_count];
            for (var i = 0; i < _count; i++)
            {
                result[i] = new RankedMatch(_rows[i], _scores[i]);
            }

            Array.Sort(result, static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
            return result;
        }

        // a is weaker than b: lower score, or the same score on a later row.
        private static bool Weaker(float aScore, int aRow, float bScore, int bRow) =>
            aScore < bScore || (aScore == bScore && aRow > bRow);

        private void SiftUp(int i)
        {
            while (i > 0)
            {
                var parent = (i - 1) / 2;
                if (!Weaker(_scores[i], _rows[i], _scores[parent], _rows[parent]))
                {
                    return;
                }

                Swap(i, parent);
                i = parent;
            }
        }

        private void SiftDown(int i)
        {
            while (true)
            {
                var left = (2 * i) + 1;
                if (left >= _count)
                {
                    return;
                }

                var weakest = left + 1 < _count && Weaker(_scores[left + 1], _rows[left + 1], _scores[left], _rows[left]) ? left + 1 : left;
                if (!Weaker(_scores[weakest], _rows[weakest], _scores[i], _rows[i]))
                {
                    return;
                }

                Swap(i, weakest);
                i = weakest;
            }
        }

        private void Swap(int a, int b)
        {
            (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
            (_rows[a], _rows[b]) = (_rows[b], _rows[a]);
        }
    }
}
