using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Embeddings.Labelling;
using PrivateVlm.Storage;

namespace PrivateVlm.Embeddings.Storage;

/// <summary>All SQL on the L1 tables (photo_embeddings, photo_labels, label_embeddings; migration 0002).</summary>
public static class EmbeddingTables
{
    /// <summary>Stores a photo's embedding and its top labels for one model, replacing an earlier result of that model.</summary>
    public static void SavePhoto(
        SqliteConnection connection, SqliteTransaction transaction, long photoId, string model, ReadOnlySpan<float> embedding,
        string labelList, IReadOnlyList<ScoredLabel> labels, DateTimeOffset now)
    {
        connection.Execute(
            """
            INSERT INTO photo_embeddings (photo_id, model, dimensions, vector, created_at)
            VALUES (@photoId, @model, @dimensions, @vector, @createdAt)
            ON CONFLICT (photo_id, model) DO UPDATE SET
                dimensions = excluded.dimensions, vector = excluded.vector, created_at = excluded.created_at
            """,
            new { photoId, model, dimensions = embedding.Length, vector = EmbeddingBlob.From(embedding), createdAt = UtcText.From(now) },
            transaction);
        connection.Execute("DELETE FROM photo_labels WHERE photo_id = @photoId AND model = @model", new { photoId, model }, transaction);
        connection.Execute(
            "INSERT INTO photo_labels (photo_id, model, label_list, rank, label, score) VALUES (@photoId, @model, @labelList, @rank, @label, @score)",
            labels.Select((l, i) => new { photoId, model, labelList, rank = i + 1, label = l.Label, score = (double)l.Score }),
            transaction);
    }

    /// <summary>The cached label prompt embeddings of one model and label list, by label.</summary>
    public static Dictionary<string, float[]> ReadLabelEmbeddings(SqliteConnection connection, string model, string labelList) =>
        connection.Query<(string Label, byte[] Vector)>(
                "SELECT label, vector FROM label_embeddings WHERE model = @model AND label_list = @labelList",
                new { model, labelList })
            .ToDictionary(r => r.Label, r => EmbeddingBlob.ToVector(r.Vector), StringComparer.Ordinal);

    public static void SaveLabelEmbeddings(
        SqliteConnection connection, SqliteTransaction transaction, string model, string labelList,
        IReadOnlyList<string> labels, IReadOnlyList<float[]> vectors, DateTimeOffset now)
    {
        var createdAt = UtcText.From(now);
        connection.Execute(
            """
            INSERT INTO label_embeddings (model, label_list, label, vector, created_at) VALUES (@model, @labelList, @label, @vector, @createdAt)
            ON CONFLICT (model, label_list, label) DO UPDATE SET vector = excluded.vector, created_at = excluded.created_at
            """,
            labels.Select((label, i) => new { model, labelList, label, vector = EmbeddingBlob.From(vectors[i]), createdAt }),
            transaction);
    }

    /// <summary>How many photos have an embedding of <paramref name="model"/> (any file state).</summary>
    public static long CountEmbeddings(SqliteConnection connection, string model) =>
        connection.ExecuteScalar<long>("SELECT count(*) FROM photo_embeddings WHERE model = @model", new { model });

    public static float[]? ReadEmbedding(SqliteConnection connection, long photoId, string model)
    {
        var blob = connection.QueryFirstOrDefault<byte[]>(
            "SELECT vector FROM photo_embeddings WHERE photo_id = @photoId AND model = @model", new { photoId, model });
        return blob is null ? null : EmbeddingBlob.ToVector(blob);
    }

    /// <summary>
    /// Streams the embeddings of <paramref name="model"/> for photos that still have a file, optionally only those
    /// taken on or after <paramref name="takenOnOrAfter"/> (camera local time, "yyyy-MM-dd"), into one matrix.
    /// </summary>
    public static StoredEmbeddings ReadSearchable(SqliteConnection connection, string model, string? takenOnOrAfter)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            """
            SELECT e.photo_id, e.dimensions, e.vector, m.gps_latitude, m.gps_longitude
            FROM photo_embeddings e
            LEFT JOIN photo_metadata m ON m.photo_id = e.photo_id
            WHERE e.model = $model
              AND EXISTS (SELECT 1 FROM files f WHERE f.photo_id = e.photo_id AND f.status = 'present')
              AND ($since IS NULL OR m.taken_at_local >= $since)
            ORDER BY e.photo_id
            """;
        command.Parameters.AddWithValue("$model", model);
        command.Parameters.AddWithValue("$since", (object?)takenOnOrAfter ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var builder = new StoredEmbeddings.Builder();
        byte[] buffer = [];
        while (reader.Read())
        {
            var dimensions = reader.GetInt32(1);
            var length = (int)reader.GetBytes(2, 0, null, 0, 0);
            if (buffer.Length < length)
            {
                buffer = new byte[length];
            }

            reader.GetBytes(2, 0, buffer, 0, length);
            builder.Add(
                reader.GetInt64(0), dimensions, buffer.AsSpan(0, length),
                reader.IsDBNull(3) ? null : reader.GetDouble(3), reader.IsDBNull(4) ? null : reader.GetDouble(4));
        }

        return builder.Build();
    }

    /// <summary>What a search result shows about a photo: a present path, capture time, place and top labels.</summary>
    public static Dictionary<long, PhotoFacts> ReadFacts(SqliteConnection connection, IReadOnlyCollection<long> photoIds, string model, int labels)
    {
        var ids = photoIds.ToArray();
        var facts = connection.Query<(long PhotoId, string? Path, string? TakenAt, double? Latitude, double? Longitude)>(
                """
                SELECT p.id,
                       (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'present' ORDER BY f.id LIMIT 1),
                       m.taken_at_local, m.gps_latitude, m.gps_longitude
                FROM photos p LEFT JOIN photo_metadata m ON m.photo_id = p.id
                WHERE p.id IN @ids
                """,
                new { ids })
            .ToDictionary(r => r.PhotoId, r => new PhotoFacts(r.PhotoId, r.Path, r.TakenAt, r.Latitude, r.Longitude, []));
        var byPhoto = connection.Query<(long PhotoId, string Label, double Score)>(
                "SELECT photo_id, label, score FROM photo_labels WHERE model = @model AND photo_id IN @ids AND rank <= @labels ORDER BY photo_id, rank",
                new { model, ids, labels })
            .GroupBy(r => r.PhotoId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ScoredLabel>)g.Select(r => new ScoredLabel(r.Label, (float)r.Score)).ToList());
        foreach (var (id, labelRows) in byPhoto)
        {
            if (facts.TryGetValue(id, out var f))
            {
                facts[id] = f with { Labels = labelRows };
            }
        }

        return facts;
    }
}

/// <summary>A photo's facts as search prints them.</summary>
public sealed record PhotoFacts(long PhotoId, string? Path, string? TakenAt, double? Latitude, double? Longitude, IReadOnlyList<ScoredLabel> Labels);
