using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Ingest;

/// <summary>A row of the files table as the ingest side needs it.</summary>
public sealed record PhotoFileRecord(long Id, string Path, long? PhotoId, long SizeBytes, string ModifiedAt, string Status, string? Error);

/// <summary>All SQL on the photos and files tables.</summary>
public static class PhotoFileRecords
{
    private const string Columns = "id AS Id, path AS Path, photo_id AS PhotoId, size_bytes AS SizeBytes, modified_at AS ModifiedAt, status AS Status, error AS Error";

    public static PhotoFileRecord? FindByPath(SqliteConnection connection, string path, SqliteTransaction? transaction = null) =>
        connection.QueryFirstOrDefault<PhotoFileRecord>($"SELECT {Columns} FROM files WHERE path = @path", new { path }, transaction);

    /// <summary>The rows recorded for a batch of paths the reconciler found on disk (one query per batch).</summary>
    public static IEnumerable<PhotoFileRecord> FindMany(SqliteConnection connection, IEnumerable<string> paths) =>
        connection.Query<PhotoFileRecord>($"SELECT {Columns} FROM files WHERE path IN @paths", new { paths });

    /// <summary>
    /// One page of the paths recorded as not deleted under <paramref name="folderPrefix"/> (a folder with its trailing
    /// separator), in path order after <paramref name="after"/>: the reconciler walks the table page by page instead
    /// of holding it. The upper bound is the prefix with its separator raised by one, so the path index serves it.
    /// </summary>
    public static IReadOnlyList<string> RecordedPathsAfter(SqliteConnection connection, string folderPrefix, string after, int limit)
    {
        var upper = folderPrefix[..^1] + (char)(folderPrefix[^1] + 1);
        return connection.Query<string>(
            "SELECT path FROM files WHERE path > @after AND path < @upper AND status <> 'deleted' ORDER BY path LIMIT @limit",
            new { after, upper, limit }).AsList();
    }

    /// <summary>Finds or creates the photo for this content; true in <c>created</c> when it is new.</summary>
    public static (long PhotoId, bool Created) UpsertPhoto(
        SqliteConnection connection, SqliteTransaction transaction, string sha256, long sizeBytes, string now)
    {
        var created = connection.Execute(
            "INSERT OR IGNORE INTO photos (sha256, size_bytes, first_seen_at) VALUES (@sha256, @sizeBytes, @now)",
            new { sha256, sizeBytes, now }, transaction) == 1;
        var id = connection.ExecuteScalar<long>("SELECT id FROM photos WHERE sha256 = @sha256", new { sha256 }, transaction);
        return (id, created);
    }

    /// <summary>Other rows of the same photo whose path no longer exists: a rename or move left them behind.</summary>
    public static IEnumerable<PhotoFileRecord> OtherPathsOf(
        SqliteConnection connection, SqliteTransaction transaction, long photoId, string path) =>
        connection.Query<PhotoFileRecord>(
            $"SELECT {Columns} FROM files WHERE photo_id = @photoId AND path <> @path ORDER BY last_seen_at DESC",
            new { photoId, path }, transaction);

    public static void MovePath(SqliteConnection connection, SqliteTransaction transaction, long id, string newPath, FileObservation seen, string now) =>
        connection.Execute(
            """
            UPDATE files SET path = @newPath, size_bytes = @Size, modified_at = @ModifiedAt, status = 'present',
                             error = NULL, last_seen_at = @now, deleted_at = NULL
            WHERE id = @id
            """,
            new { id, newPath, seen.Size, ModifiedAt = UtcText.From(seen.ModifiedUtc), now }, transaction);

    /// <summary>Records that <paramref name="path"/> holds <paramref name="photoId"/> (null with an error when the
    /// file could not become a photo).</summary>
    public static void Upsert(
        SqliteConnection connection, SqliteTransaction transaction, string path, long? photoId, FileObservation seen,
        string status, string? error, string now) =>
        connection.Execute(
            """
            INSERT INTO files (path, photo_id, size_bytes, modified_at, status, error, first_seen_at, last_seen_at)
            VALUES (@path, @photoId, @Size, @ModifiedAt, @status, @error, @now, @now)
            ON CONFLICT (path) DO UPDATE SET
                photo_id = excluded.photo_id, size_bytes = excluded.size_bytes, modified_at = excluded.modified_at,
                status = excluded.status, error = excluded.error, last_seen_at = excluded.last_seen_at, deleted_at = NULL
            """,
            new { path, photoId, seen.Size, ModifiedAt = UtcText.From(seen.ModifiedUtc), status, error, now }, transaction);

    /// <summary>Records a file that is not a photo: an ignored file (with why) or an XMP sidecar, and the photo it
    /// belongs with when known (a Live Photo video's still, a sidecar's photo).</summary>
    public static void UpsertCompanion(
        SqliteConnection connection, SqliteTransaction transaction, string path, FileObservation seen, string status, string? reason,
        long? companionOf, string now) =>
        connection.Execute(
            """
            INSERT INTO files (path, photo_id, size_bytes, modified_at, status, error, first_seen_at, last_seen_at, companion_of)
            VALUES (@path, NULL, @Size, @ModifiedAt, @status, @reason, @now, @now, @companionOf)
            ON CONFLICT (path) DO UPDATE SET
                photo_id = NULL, size_bytes = excluded.size_bytes, modified_at = excluded.modified_at, status = excluded.status,
                error = excluded.error, last_seen_at = excluded.last_seen_at, deleted_at = NULL,
                companion_of = COALESCE(excluded.companion_of, files.companion_of)
            """,
            new { path, seen.Size, ModifiedAt = UtcText.From(seen.ModifiedUtc), status, reason, companionOf, now }, transaction);

    /// <summary>Links sidecars and Live Photo videos recorded before their photo to it.</summary>
    public static void LinkCompanions(SqliteConnection connection, SqliteTransaction transaction, long photoId, IReadOnlyList<string> paths) =>
        connection.Execute(
            "UPDATE files SET companion_of = @photoId WHERE path IN @paths AND status IN ('ignored', 'sidecar') AND companion_of IS NULL",
            new { photoId, paths }, transaction);

    /// <summary>True while at least one file on disk holds the photo (as far as the daemon has seen).</summary>
    public static bool HasPresentFile(SqliteConnection connection, long photoId, SqliteTransaction? transaction = null) =>
        connection.ExecuteScalar<long>(
            "SELECT EXISTS (SELECT 1 FROM files WHERE photo_id = @photoId AND status = 'present')", new { photoId }, transaction) == 1;

    public static int MarkDeleted(SqliteConnection connection, SqliteTransaction transaction, string path, string now) =>
        connection.Execute(
            "UPDATE files SET status = 'deleted', deleted_at = @now WHERE path = @path AND status <> 'deleted'",
            new { path, now }, transaction);

    /// <summary>Paths recorded under a folder (a deleted or moved-away directory reports only itself).</summary>
    public static IReadOnlyList<string> PathsUnder(SqliteConnection connection, string folder)
    {
        var prefix = folder.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        return connection.Query<string>(
            "SELECT path FROM files WHERE status <> 'deleted' AND substr(path, 1, length(@prefix)) = @prefix",
            new { prefix }).ToList();
    }
}
