using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Vlm.Results;

/// <summary>A stored result's identity as reprocessing sees it.</summary>
public sealed record StoredPromptVersion(long PhotoId, string Tier, string PromptVersion, string PromptHash);

/// <summary>
/// All SQL on vlm_results, vlm_entities, vlm_search and vlm_failures (migration 0003). A result, its entity rows
/// and its search row are replaced together, inside the caller's transaction (the job's), so they never disagree.
/// </summary>
public static class VlmResultsTable
{
    /// <summary>Stores (or replaces) the result of one photo at one tier with its entity and search rows.</summary>
    public static void Save(SqliteConnection connection, SqliteTransaction transaction, StoredResult result, DateTimeOffset now)
    {
        // Stored as the validated record re-serialised: compact, key order fixed, whatever whitespace the grammar let through gone.
        var json = JsonSerializer.Serialize(result.Description, result.Description.GetType(), StrictJson.Options);
        connection.Execute(
            """
            INSERT OR REPLACE INTO vlm_results (
                photo_id, tier, source_photo_id, similarity, prompt_version, prompt_hash, model, endpoint, result_json,
                image_width, image_height, image_bytes, prompt_tokens, cached_tokens, prompt_ms, generated_tokens,
                generated_per_second, wall_ms, attempts, created_at)
            VALUES (
                @PhotoId, @Tier, @SourcePhotoId, @Similarity, @PromptVersion, @PromptHash, @Model, @Endpoint, @Json,
                @ImageWidth, @ImageHeight, @ImageBytes, @PromptTokens, @CachedTokens, @PromptMs, @GeneratedTokens,
                @TokensPerSecond, @WallMs, @Attempts, @Now)
            """,
            new
            {
                result.PhotoId,
                result.Tier,
                result.SourcePhotoId,
                result.Similarity,
                result.PromptVersion,
                result.PromptHash,
                result.Model,
                Endpoint = result.Endpoint.ToString(),
                Json = json,
                result.ImageWidth,
                result.ImageHeight,
                result.ImageBytes,
                result.Timings.PromptTokens,
                result.Timings.CachedTokens,
                result.Timings.PromptMs,
                result.Timings.GeneratedTokens,
                result.Timings.TokensPerSecond,
                result.Timings.WallMs,
                result.Attempts,
                Now = UtcText.From(now),
            },
            transaction);

        var key = new { result.PhotoId, result.Tier };
        connection.Execute("DELETE FROM vlm_entities WHERE photo_id = @PhotoId AND tier = @Tier", key, transaction);
        connection.Execute(
            "INSERT INTO vlm_entities (photo_id, tier, kind, name, count, detail) VALUES (@PhotoId, @Tier, @Kind, @Name, @Count, @Detail)",
            DescriptionFacts.Entities(result.Description).Select(e => new { result.PhotoId, result.Tier, e.Kind, e.Name, e.Count, e.Detail }),
            transaction);

        // One search row per (photo, tier) at a fixed rowid, replaced by rowid: deleting by a scan of the UNINDEXED
        // columns is slow and, inside a transaction that wrote other tables first, made FTS5 report corruption.
        var search = DescriptionFacts.Search(result.Description);
        var rowId = SearchRowId(result.PhotoId, result.Tier);
        connection.Execute("DELETE FROM vlm_search WHERE rowid = @RowId", new { RowId = rowId }, transaction);
        connection.Execute(
            """
            INSERT INTO vlm_search (rowid, photo_id, tier, caption, scene, entities, text_seen)
            VALUES (@RowId, @PhotoId, @Tier, @Caption, @Scene, @Entities, @TextSeen)
            """,
            new { RowId = rowId, result.PhotoId, result.Tier, search.Caption, search.Scene, search.Entities, search.TextSeen },
            transaction);
    }

    /// <summary>
    /// Gives a near-duplicate the description its cluster representative got, marked as inherited (source_photo_id =
    /// the representative, with the similarity), with its own entity and search rows. False when the representative
    /// has no result at this tier yet.
    /// </summary>
    public static bool Inherit(
        SqliteConnection connection, SqliteTransaction transaction, long photoId, long representativeId, double similarity, string tier, DateTimeOffset now)
    {
        var key = new { PhotoId = photoId, Representative = representativeId, Tier = tier, Similarity = similarity, Now = UtcText.From(now) };
        var copied = connection.Execute(
            """
            INSERT OR REPLACE INTO vlm_results (
                photo_id, tier, source_photo_id, similarity, prompt_version, prompt_hash, model, endpoint, result_json,
                image_width, image_height, image_bytes, prompt_tokens, cached_tokens, prompt_ms, generated_tokens,
                generated_per_second, wall_ms, attempts, created_at)
            SELECT @PhotoId, tier, @Representative, @Similarity, prompt_version, prompt_hash, model, endpoint, result_json,
                   image_width, image_height, image_bytes, prompt_tokens, cached_tokens, prompt_ms, generated_tokens,
                   generated_per_second, wall_ms, 0, @Now
            FROM vlm_results WHERE photo_id = @Representative AND tier = @Tier AND source_photo_id = photo_id
            """,
            key, transaction);
        if (copied == 0)
        {
            return false;
        }

        connection.Execute("DELETE FROM vlm_entities WHERE photo_id = @PhotoId AND tier = @Tier", key, transaction);
        connection.Execute(
            """
            INSERT INTO vlm_entities (photo_id, tier, kind, name, count, detail)
            SELECT @PhotoId, tier, kind, name, count, detail FROM vlm_entities WHERE photo_id = @Representative AND tier = @Tier
            """,
            key, transaction);
        var rowIds = new { RowId = SearchRowId(photoId, tier), From = SearchRowId(representativeId, tier), PhotoId = photoId };
        connection.Execute("DELETE FROM vlm_search WHERE rowid = @RowId", rowIds, transaction);
        connection.Execute(
            """
            INSERT INTO vlm_search (rowid, photo_id, tier, caption, scene, entities, text_seen)
            SELECT @RowId, @PhotoId, tier, caption, scene, entities, text_seen FROM vlm_search WHERE rowid = @From
            """,
            rowIds, transaction);
        return true;
    }

    /// <summary>The search row of a photo's tier: photo id x 2, + 1 for deep.</summary>
    public static long SearchRowId(long photoId, string tier) => photoId * 2 + (tier == StageGraph.Deep ? 1 : 0);

    public static void RecordFailure(
        SqliteConnection connection, SqliteTransaction transaction, long photoId, string tier, string error, string? rawText, DateTimeOffset now) =>
        connection.Execute(
            "INSERT INTO vlm_failures (photo_id, tier, error, raw_text, occurred_at) VALUES (@PhotoId, @Tier, @Error, @RawText, @Now)",
            new { PhotoId = photoId, Tier = tier, Error = error, RawText = rawText, Now = UtcText.From(now) },
            transaction);

    /// <summary>Results of <paramref name="tier"/> made with another prompt version or another text of it.</summary>
    public static IReadOnlyList<StoredPromptVersion> MadeWithOtherPrompt(
        SqliteConnection connection, string tier, string promptVersion, string promptHash, SqliteTransaction? transaction = null) =>
        connection.Query<StoredPromptVersion>(
            """
            SELECT photo_id AS PhotoId, tier AS Tier, prompt_version AS PromptVersion, prompt_hash AS PromptHash
            FROM vlm_results
            WHERE tier = @Tier AND (prompt_version <> @PromptVersion OR prompt_hash <> @PromptHash)
            ORDER BY photo_id
            """,
            new { Tier = tier, PromptVersion = promptVersion, PromptHash = promptHash }, transaction).ToList();

    /// <summary>True when the photo has a description of its own at this tier (not one inherited from another photo).</summary>
    public static bool HasOwn(SqliteConnection connection, long photoId, string tier, SqliteTransaction? transaction = null) =>
        connection.ExecuteScalar<long>(
            "SELECT count(*) FROM vlm_results WHERE photo_id = @PhotoId AND tier = @Tier AND source_photo_id = photo_id",
            new { PhotoId = photoId, Tier = tier }, transaction) == 1;

    /// <summary>Photos whose description at this tier is a copy of the representative's.</summary>
    public static IReadOnlyList<long> InheritorsOf(SqliteConnection connection, SqliteTransaction transaction, long representativeId, string tier) =>
        connection.Query<long>(
            "SELECT photo_id FROM vlm_results WHERE source_photo_id = @Representative AND tier = @Tier AND photo_id <> source_photo_id",
            new { Representative = representativeId, Tier = tier }, transaction).ToList();

    /// <summary>Every inherited description at this tier, with the photo it was copied from.</summary>
    public static IReadOnlyList<(long PhotoId, long SourcePhotoId)> Inherited(SqliteConnection connection, string tier, SqliteTransaction? transaction = null) =>
        connection.Query<(long, long)>(
            "SELECT photo_id, source_photo_id FROM vlm_results WHERE tier = @Tier AND photo_id <> source_photo_id ORDER BY photo_id",
            new { Tier = tier }, transaction).ToList();
}
