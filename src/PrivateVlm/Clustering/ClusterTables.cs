using System.Buffers.Binary;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Embeddings.Storage;
using PrivateVlm.Storage;

namespace PrivateVlm.Clustering;

/// <summary>A group as `privatevlm clusters` lists it.</summary>
public sealed record ClusterSummary(long ClusterId, long Size, long RepresentativePhotoId, string? RepresentativePath, long CallsSaved)
{
    public ClusterSummary() : this(0, 0, 0, null, 0) { }
}

/// <summary>Totals for `status`.</summary>
public sealed record ClusterTotals(long Groups, long PhotosGrouped, long CallsSaved);

/// <summary>All SQL on photo_hashes, clusters, cluster_members and cluster_history.</summary>
public static class ClusterTables
{
    public static void SaveHashes(SqliteConnection c, SqliteTransaction t, long photoId, PhotoHashes hashes, DateTimeOffset now) =>
        c.Execute(
            """
            INSERT OR REPLACE INTO photo_hashes (photo_id, phash, dhash, phash_oriented, dhash_oriented, tilted_hashes, computed_at)
            VALUES (@photoId, @Phash, @Dhash, @PhashOriented, @DhashOriented, @Tilted, @At)
            """,
            new
            {
                photoId, Phash = unchecked((long)hashes.Dct), Dhash = unchecked((long)hashes.Difference),
                PhashOriented = Pack(hashes.DctByOrientation), DhashOriented = Pack(hashes.DifferenceByOrientation),
                Tilted = Pack(hashes.TiltedTrials), At = UtcText.From(now),
            }, t);

    /// <summary>What grouping needs for one photo (hash, capture time unless it came from the file's mtime, camera).</summary>
    public static ClusterCandidate? Candidate(SqliteConnection c, SqliteTransaction? t, long photoId) =>
        Candidates(c, t, "WHERE h.photo_id = @photoId", new { photoId }).FirstOrDefault();

    public static IEnumerable<ClusterCandidate> Representatives(SqliteConnection c, SqliteTransaction? t) =>
        Candidates(c, t, "WHERE h.photo_id IN (SELECT representative_photo_id FROM clusters)", null);

    public static IEnumerable<long> RepresentativeIds(SqliteConnection c, SqliteTransaction? t) =>
        c.Query<long>("SELECT representative_photo_id FROM clusters", transaction: t);

    public static IEnumerable<ClusterCandidate> AllHashed(SqliteConnection c, SqliteTransaction? t) =>
        Candidates(c, t, "ORDER BY coalesce(m.taken_at_local, ''), h.photo_id", null);

    public static bool IsRepresentative(SqliteConnection c, SqliteTransaction? t, long photoId) =>
        c.ExecuteScalar<long>("SELECT count(*) FROM clusters WHERE representative_photo_id = @photoId", new { photoId }, t) == 1;

    /// <summary>Starts a group with the photo as its representative.</summary>
    public static void StartGroup(SqliteConnection c, SqliteTransaction t, long photoId, DateTimeOffset now, string reason)
    {
        var clusterId = c.ExecuteScalar<long>(
            "INSERT INTO clusters (representative_photo_id, created_at) VALUES (@photoId, @At) RETURNING id",
            new { photoId, At = UtcText.From(now) }, t);
        SetMember(c, t, photoId, clusterId, 0, now, reason);
    }

    public static void JoinGroup(SqliteConnection c, SqliteTransaction t, long photoId, ClusterMatch match, DateTimeOffset now)
    {
        var clusterId = c.ExecuteScalar<long>(
            "SELECT id FROM clusters WHERE representative_photo_id = @Rep", new { Rep = match.RepresentativePhotoId }, t);
        SetMember(c, t, photoId, clusterId, match.Distance, now, match.Reason, match.Cosine);
    }

    /// <summary>The photo's newest CLIP embedding (any model), or null when L1 has not embedded it.</summary>
    public static PhotoEmbedding? Embedding(SqliteConnection c, SqliteTransaction? t, long photoId)
    {
        var row = c.QueryFirstOrDefault<(string Model, byte[] Vector)?>(
            "SELECT model, vector FROM photo_embeddings WHERE photo_id = @photoId ORDER BY created_at DESC, model LIMIT 1",
            new { photoId }, t);
        return row is { } r ? new PhotoEmbedding(r.Model, EmbeddingBlob.ToVector(r.Vector)) : null;
    }

    /// <summary>Streams the stored vectors of <paramref name="model"/> for the given photos (those that have one), in
    /// one statement: each id is a primary-key lookup inside SQLite.</summary>
    public static void ReadEmbeddings(
        SqliteConnection c, SqliteTransaction? t, string model, IReadOnlyList<long> photoIds, Action<long, ReadOnlySpan<byte>> row)
    {
        using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText =
            "SELECT photo_id, vector FROM photo_embeddings WHERE model = $model AND photo_id IN (SELECT value FROM json_each($ids))";
        command.Parameters.AddWithValue("$model", model);
        command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(photoIds));
        using var reader = command.ExecuteReader();
        var buffer = new byte[4096];
        while (reader.Read())
        {
            var length = (int)reader.GetBytes(1, 0, null, 0, 0);
            if (buffer.Length < length)
            {
                buffer = new byte[length];
            }

            reader.GetBytes(1, 0, buffer, 0, length);
            row(reader.GetInt64(0), buffer.AsSpan(0, length));
        }
    }

    /// <summary>
    /// Records the photo's current membership in history and removes it; the group it leaves goes too once empty.
    /// Only the rows of that group are touched, found through indexes, so the cost does not grow with the library.
    /// A representative takes its group with it (clusters.representative_photo_id names it and is unique, so it
    /// could not start another group while the old one stood): the other members leave as well, recorded in history,
    /// and are returned so the caller places them again. Returns no one when the photo led no group.
    /// </summary>
    public static IReadOnlyList<long> Leave(SqliteConnection c, SqliteTransaction t, long photoId, DateTimeOffset now, string why)
    {
        var at = UtcText.From(now);
        var member = c.ExecuteScalar<long?>("SELECT cluster_id FROM cluster_members WHERE photo_id = @photoId", new { photoId }, t);
        var led = c.ExecuteScalar<long?>("SELECT id FROM clusters WHERE representative_photo_id = @photoId", new { photoId }, t);
        c.Execute(
            """
            INSERT INTO cluster_history (photo_id, cluster_id, left_at, why)
            SELECT photo_id, cluster_id, @at, @why FROM cluster_members WHERE photo_id = @photoId
            """,
            new { photoId, at, why }, t);
        c.Execute("DELETE FROM cluster_members WHERE photo_id = @photoId", new { photoId }, t);

        IReadOnlyList<long> leftWithIt = [];
        if (led is { } groupId)
        {
            leftWithIt = c.Query<long>(
                "SELECT photo_id FROM cluster_members WHERE cluster_id = @groupId ORDER BY photo_id", new { groupId }, t).AsList();
            c.Execute(
                """
                INSERT INTO cluster_history (photo_id, cluster_id, left_at, why)
                SELECT photo_id, cluster_id, @at, @why FROM cluster_members WHERE cluster_id = @groupId
                """,
                new { groupId, at, why = $"its representative left ({why})" }, t);
            c.Execute("DELETE FROM cluster_members WHERE cluster_id = @groupId", new { groupId }, t);
            c.Execute("DELETE FROM clusters WHERE id = @groupId", new { groupId }, t);
        }

        if (member is { } left && left != led)
        {
            c.Execute(
                "DELETE FROM clusters WHERE id = @left AND NOT EXISTS (SELECT 1 FROM cluster_members WHERE cluster_id = @left)",
                new { left }, t);
        }

        return leftWithIt;
    }

    /// <summary>Representative of a member (null when the photo is its own representative or not grouped).</summary>
    public static InheritedFrom? RepresentativeOf(SqliteConnection c, SqliteTransaction? t, long photoId)
    {
        var row = c.QueryFirstOrDefault<(long Rep, long Distance, double? Cosine)?>(
            """
            SELECT c.representative_photo_id, m.distance, m.cosine FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id
            WHERE m.photo_id = @photoId AND c.representative_photo_id <> @photoId
            """,
            new { photoId }, t);
        return row is { } r ? new InheritedFrom(r.Rep, (int)r.Distance, r.Cosine) : null;
    }

    public static void ClearMembership(SqliteConnection c, SqliteTransaction t, DateTimeOffset now, string why)
    {
        c.Execute(
            "INSERT INTO cluster_history (photo_id, cluster_id, left_at, why) SELECT photo_id, cluster_id, @At, @why FROM cluster_members",
            new { At = UtcText.From(now), why }, t);
        c.Execute("DELETE FROM cluster_members", transaction: t);
        c.Execute("DELETE FROM clusters", transaction: t);
    }

    public static IReadOnlyList<ClusterSummary> Largest(SqliteConnection c, int limit) =>
        c.Query<ClusterSummary>(
            """
            SELECT cluster_id AS ClusterId, size AS Size, representative_photo_id AS RepresentativePhotoId,
                   representative_path AS RepresentativePath, calls_saved AS CallsSaved
            FROM cluster_overview ORDER BY size DESC, cluster_id LIMIT @limit
            """,
            new { limit }).ToList();

    public static ClusterTotals Totals(SqliteConnection c)
    {
        var row = c.QueryFirst<(long Groups, long Grouped, long Saved)>(
            "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(calls_saved), 0) FROM cluster_overview WHERE size > 1");
        return new ClusterTotals(row.Groups, row.Grouped, row.Saved);
    }

    private static void SetMember(
        SqliteConnection c, SqliteTransaction t, long photoId, long clusterId, int distance, DateTimeOffset now, string reason, float? cosine = null) =>
        c.Execute(
            """
            INSERT OR REPLACE INTO cluster_members (photo_id, cluster_id, distance, cosine, joined_at, reason)
            VALUES (@photoId, @clusterId, @distance, @cosine, @At, @reason)
            """,
            new { photoId, clusterId, distance, cosine = (double?)cosine, At = UtcText.From(now), reason }, t);

    private static IEnumerable<ClusterCandidate> Candidates(SqliteConnection c, SqliteTransaction? t, string tail, object? parameters) =>
        c.Query<(long PhotoId, byte[] Oriented, byte[]? Tilted, string? TakenAt, string? Source, string? Make, string? Model)>(
            $"""
            SELECT h.photo_id, h.phash_oriented, h.tilted_hashes, m.taken_at_local, m.taken_at_source, m.camera_make, m.camera_model
            FROM photo_hashes h LEFT JOIN photo_metadata m ON m.photo_id = h.photo_id
            {tail}
            """,
            parameters, t)
        .Select(r => new ClusterCandidate(
            r.PhotoId,
            Unpack(r.Oriented),
            // A file modification time says when the file was copied, not when the picture was taken.
            r.TakenAt is not null && r.Source is not null && !r.Source.StartsWith("file:", StringComparison.Ordinal)
                ? DateTime.Parse(r.TakenAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
                : null,
            r.Make is null && r.Model is null ? null : $"{r.Make?.Trim()} {r.Model?.Trim()}")
        {
            TiltedTrials = r.Tilted is null ? null : Unpack(r.Tilted),
        });

    private static byte[] Pack(ulong[] hashes)
    {
        var bytes = new byte[hashes.Length * 8];
        for (var i = 0; i < hashes.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), hashes[i]);
        }

        return bytes;
    }

    private static ulong[] Unpack(byte[] bytes)
    {
        var hashes = new ulong[bytes.Length / 8];
        for (var i = 0; i < hashes.Length; i++)
        {
            hashes[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 8));
        }

        return hashes;
    }
}
