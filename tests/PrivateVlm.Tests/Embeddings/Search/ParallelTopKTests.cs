using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Search;

namespace PrivateVlm.Tests.Embeddings.Search;

/// <summary>The chunked parallel top-k must equal a brute-force sort exactly: same rows, same order, same scores.</summary>
public sealed class ParallelTopKTests
{
    private static List<RankedMatch> BruteForce(float[] matrix, int dims, float[] query, int k)
    {
        var rows = matrix.Length / dims;
        return Enumerable.Range(0, rows)
            .Select(r => new RankedMatch(r, System.Numerics.Tensors.TensorPrimitives.Dot(matrix.AsSpan(r * dims, dims), query)))
            .Where(m => !float.IsNaN(m.Score))
            .OrderByDescending(m => m.Score).ThenBy(m => m.Row)
            .Take(k)
            .ToList();
    }

    [Theory]
    [InlineData(1, 16, 5)]
    [InlineData(7, 16, 50)] // k > n
    [InlineData(20_000, 32, 10)]
    [InlineData(50_001, 24, 100)] // uneven chunks
    public void Random_unit_vectors(int rows, int dims, int k)
    {
        var random = new Random(rows);
        var matrix = new float[rows * dims];
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.AsSpan(r * dims, dims);
            for (var i = 0; i < dims; i++)
            {
                row[i] = (float)(random.NextDouble() * 2 - 1);
            }

            EmbeddingVector.Normalize(row);
        }

        var query = Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        EmbeddingVector.Normalize(query);

        var expected = BruteForce(matrix, dims, query, k);
        Assert.Equal(expected, CosineRanking.TopKParallel(matrix, dims, query, k, parallelism: 4));
        Assert.Equal(expected, CosineRanking.TopK(matrix, dims, query, k));
    }

    [Theory]
    [InlineData(40_000, 3)]
    [InlineData(40_000, 500)]
    public void Ties_rank_the_lower_row_first_across_chunk_boundaries(int rows, int k)
    {
        // Small integer components: many exactly equal dot products, spread over every chunk.
        var dims = 4;
        var random = new Random(3);
        var matrix = Enumerable.Range(0, rows * dims).Select(_ => (float)random.Next(-1, 2)).ToArray();
        float[] query = [1, 1, 0, 1];

        var expected = BruteForce(matrix, dims, query, k);
        Assert.True(expected.Count(m => m.Score == expected[^1].Score) > 1, "the test data must contain ties at the cut-off");
        Assert.Equal(expected, CosineRanking.TopKParallel(matrix, dims, query, k, parallelism: 3));
        Assert.Equal(expected, CosineRanking.TopKParallel(matrix, dims, query, k));
    }

    [Fact]
    public void NaN_rows_are_skipped_and_empty_or_zero_k_give_nothing()
    {
        var dims = 2;
        var matrix = new float[20_000 * dims];
        Array.Fill(matrix, 0.5f);
        matrix[10] = float.NaN;
        float[] query = [1, 0];

        var top = CosineRanking.TopKParallel(matrix, dims, query, 20_000, parallelism: 2);

        Assert.Equal(19_999, top.Count);
        Assert.DoesNotContain(top, m => m.Row == 5);
        Assert.Empty(CosineRanking.TopKParallel(Array.Empty<float>(), dims, query, 5));
        Assert.Empty(CosineRanking.TopKParallel(matrix, dims, query, 0));
    }
}
