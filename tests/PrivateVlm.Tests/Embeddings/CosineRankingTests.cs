using System.Numerics.Tensors;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Search;

namespace PrivateVlm.Tests.Embeddings;

public sealed class CosineRankingTests
{
    private static float[] RandomUnitRows(int rows, int dimensions, int seed)
    {
        var random = new Random(seed);
        var matrix = new float[rows * dimensions];
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.AsSpan(r * dimensions, dimensions);
            for (var i = 0; i < dimensions; i++)
            {
                row[i] = (float)(random.NextDouble() * 2 - 1);
            }

            EmbeddingVector.Normalize(row);
        }

        return matrix;
    }

    [Fact]
    public void Top_k_equals_a_full_sort_of_dot_products()
    {
        const int dims = 32;
        var matrix = RandomUnitRows(2000, dims, 1);
        var query = RandomUnitRows(1, dims, 2);

        var top = CosineRanking.TopK(matrix, dims, query, 10);

        var expected = Enumerable.Range(0, 2000)
            .Select(r => (Row: r, Score: TensorPrimitives.Dot(matrix.AsSpan(r * dims, dims), query)))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(10).ToList();
        Assert.Equal(expected.Select(e => e.Row), top.Select(t => t.Row));
        Assert.All(top.Zip(expected), p => Assert.Equal(p.Second.Score, p.First.Score, 1e-6f));
    }

    [Fact]
    public void Exact_match_ranks_first_with_score_one()
    {
        const int dims = 16;
        var matrix = RandomUnitRows(500, dims, 3);
        var query = matrix.AsSpan(123 * dims, dims).ToArray();

        var top = CosineRanking.TopK(matrix, dims, query, 3);

        Assert.Equal(123, top[0].Row);
        Assert.Equal(1f, top[0].Score, 1e-5f);
    }

    [Fact]
    public void K_larger_than_rows_ties_and_empty_inputs()
    {
        float[] matrix = [1, 0, 0, 1, 1, 0];
        Assert.Equal([0, 2, 1], CosineRanking.TopK(matrix, 2, [1f, 0f], 10).Select(m => m.Row));
        Assert.Empty(CosineRanking.TopK([], 2, [1f, 0f], 5));
        Assert.Empty(CosineRanking.TopK(matrix, 2, [1f, 0f], 0));
        Assert.Throws<ArgumentException>(() => CosineRanking.TopK(matrix, 2, [1f, 0f, 0f], 1));
    }

    [Fact]
    public void Index_grows_normalises_and_returns_photo_ids()
    {
        var index = new EmbeddingIndex(3, initialCapacity: 2);
        for (var i = 0; i < 100; i++)
        {
            index.Add(1000 + i, [i, 1, 0]);
        }

        var top = index.Search([5, 0, 0], 2);

        Assert.Equal(100, index.Count);
        Assert.Equal([1099L, 1098L], top.Select(m => m.PhotoId));
        Assert.True(top[0].Score <= 1f + 1e-6f);
        Assert.Throws<ArgumentException>(() => index.Add(1, [1, 2]));
    }
}
