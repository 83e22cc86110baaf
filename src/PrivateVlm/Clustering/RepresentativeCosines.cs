using System.Numerics.Tensors;
using Microsoft.Data.Sqlite;
using PrivateVlm.Embeddings.Storage;

namespace PrivateVlm.Clustering;

/// <summary>
/// CLIP cosines between the photo being assigned and a few representatives, read from photo_embeddings in the
/// assignment's transaction (primary-key lookups, same model only). Only representatives whose cosine can decide
/// (taken within the time gap by the same camera) are asked for, so a burst costs a handful of reads and the daemon
/// never holds 2 KB per representative in memory.
/// </summary>
public sealed class RepresentativeCosines(SqliteConnection connection, SqliteTransaction? transaction, PhotoEmbedding embedding)
{
    /// <summary>Cosine to each representative, null for one without an embedding of the photo's model (or of
    /// another size).</summary>
    public float?[] Of(IReadOnlyList<long> representatives)
    {
        var dimensions = embedding.Vector.Length;
        var position = representatives.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        var result = new float?[representatives.Count];
        // One row buffer, reused: each stored vector is scored as it is read.
        var row = new float[dimensions];
        ClusterTables.ReadEmbeddings(connection, transaction, embedding.Model, representatives, (photoId, blob) =>
        {
            if (blob.Length != dimensions * sizeof(float))
            {
                return;
            }

            EmbeddingBlob.Read(blob, row);
            result[position[photoId]] = TensorPrimitives.CosineSimilarity(embedding.Vector, row);
        });
        return result;
    }
}
