using System.Numerics.Tensors;

namespace PrivateVlm.Embeddings;

/// <summary>Embedding arithmetic shared by the encoders and ranking.</summary>
public static class EmbeddingVector
{
    /// <summary>Scales to unit length in place so cosine similarity becomes a dot product; a zero vector stays zero.</summary>
    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0 && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>Splits a row-major [rows, dimensions] buffer into normalised rows.</summary>
    public static float[][] NormalizedRows(ReadOnlySpan<float> matrix, int rows, int dimensions)
    {
        var result = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            result[r] = matrix.Slice(r * dimensions, dimensions).ToArray();
            Normalize(result[r]);
        }

        return result;
    }
}
