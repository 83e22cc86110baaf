using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Clustering;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Results;

namespace PrivateVlm.Vlm.Stages;

/// <summary>One job `privatevlm reprocess` puts back in the queue, and why.</summary>
public sealed record Requeued(long PhotoId, string Tier, string? Path, string Why);

/// <summary>
/// `privatevlm reprocess`: puts VLM jobs back in the queue (state 'queued', attempts 0). By default exactly the
/// photos whose stored result was made with another prompt version, or another text of the same version, than the
/// tier is configured with; or one photo's job. A running daemon picks them up within its idle recheck (30 s).
/// The previous result stays queryable until the new one replaces it.
/// </summary>
public sealed class TierReprocessing(TiersOptions tiers, PromptCatalog prompts, TimeProvider time)
{
    public static readonly IReadOnlyList<string> TierNames = StageGraph.VisionTiers;

    /// <summary>
    /// Results of <paramref name="tier"/> that the configured prompt would not have produced, and inherited results
    /// whose source is no longer the photo's near-duplicate representative.
    /// </summary>
    public IReadOnlyList<Requeued> Outdated(SqliteConnection connection, string tier, SqliteTransaction? transaction = null)
    {
        var prompt = prompts.Get(Options(tier).PromptVersion);
        var byPrompt = VlmResultsTable.MadeWithOtherPrompt(connection, tier, prompt.Name, prompt.ContentHash, transaction)
            .Select(r => new Requeued(r.PhotoId, tier, PathOf(connection, r.PhotoId, transaction),
                r.PromptVersion == prompt.Name
                    ? $"prompt {r.PromptVersion} text changed ({r.PromptHash[..12]} -> {prompt.ContentHash[..12]})"
                    : $"made with {r.PromptVersion}, configured {prompt.Name}"))
            .ToList();
        var listed = byPrompt.Select(r => r.PhotoId).ToHashSet();
        return byPrompt.Concat(FormerInheritors(connection, tier, transaction).Where(r => !listed.Contains(r.PhotoId)))
            .OrderBy(r => r.PhotoId)
            .ToList();
    }

    /// <summary>
    /// Inherited results whose source is no longer the photo's representative (regrouped with other thresholds, or
    /// taken out of its group): run again, the photo copies its new representative's result or, alone now, gets its
    /// own analysis. The old row stays queryable until the new one replaces it.
    /// </summary>
    public static IReadOnlyList<Requeued> FormerInheritors(SqliteConnection connection, string tier, SqliteTransaction? transaction = null) =>
        VlmResultsTable.Inherited(connection, tier, transaction)
            .Where(r => ClusterMembership.RepresentativeOf(connection, r.PhotoId, transaction)?.RepresentativeId != r.SourcePhotoId)
            .Select(r => new Requeued(r.PhotoId, tier, PathOf(connection, r.PhotoId, transaction),
                $"inherited from photo {r.SourcePhotoId}, no longer its near-duplicate representative"))
            .ToList();

    /// <summary>What `clusters --regroup` does after the groups changed: re-queues every former inheritor, both tiers.</summary>
    public Task<IReadOnlyList<Requeued>> RequeueFormerInheritorsAsync(LibraryDatabase database, CancellationToken cancellationToken) =>
        database.WriteAsync<IReadOnlyList<Requeued>>((connection, transaction) =>
        {
            var chosen = TierNames.SelectMany(tier => FormerInheritors(connection, tier, transaction)).ToList();
            Requeue(connection, transaction, chosen);
            return chosen;
        }, cancellationToken);

    /// <summary>The photo with this id, or the photo a file at this path holds.</summary>
    public static long? FindPhoto(SqliteConnection connection, string idOrPath, SqliteTransaction? transaction = null)
    {
        if (long.TryParse(idOrPath, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            return connection.ExecuteScalar<long?>("SELECT id FROM photos WHERE id = @Id", new { Id = id }, transaction);
        }

        var full = Path.GetFullPath(idOrPath);
        return connection.ExecuteScalar<long?>(
            "SELECT photo_id FROM files WHERE path IN (@Path, @Full) AND photo_id IS NOT NULL ORDER BY status = 'present' DESC LIMIT 1",
            new { Path = idOrPath, Full = full }, transaction);
    }

    public static Requeued ForPhoto(SqliteConnection connection, long photoId, string tier, SqliteTransaction? transaction = null) =>
        new(photoId, tier, PathOf(connection, photoId, transaction), "asked for this photo");

    /// <summary>
    /// Puts the jobs back in the queue in one transaction: an existing job becomes 'queued' with attempts 0 and is due
    /// now; a photo without a job for that tier gets one. Returns how many rows changed.
    /// </summary>
    public int Requeue(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<Requeued> jobs)
    {
        var now = UtcText.From(time.GetUtcNow());
        var changed = 0;
        foreach (var job in jobs)
        {
            changed += connection.Execute(
                """
                INSERT INTO jobs (photo_id, stage, state, attempts, not_before, enqueued_at)
                VALUES (@PhotoId, @Tier, 'queued', 0, @Now, @Now)
                ON CONFLICT (photo_id, stage) DO UPDATE SET
                    state = 'queued', attempts = 0, not_before = @Now, enqueued_at = @Now, lease_owner = NULL,
                    lease_expires_at = NULL, started_at = NULL, finished_at = NULL, last_error = 'reprocess: ' || @Why
                WHERE state <> 'running'
                """,
                new { job.PhotoId, job.Tier, Now = now, job.Why },
                transaction);
        }

        return changed;
    }

    /// <summary>
    /// What the verb does: chooses the jobs (one photo's, or every outdated result's) for one tier or both, and unless
    /// <paramref name="dryRun"/> re-queues them in one write transaction (safe while the daemon runs).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown tier, or a photo that is not in the database.</exception>
    public async Task<IReadOnlyList<Requeued>> RunAsync(
        LibraryDatabase database, string? tier, string? photo, bool dryRun, CancellationToken cancellationToken)
    {
        var chosenTiers = tier is null ? TierNames : [tier];
        foreach (var name in chosenTiers)
        {
            _ = Options(name); // unknown tier names fail before anything is touched
        }

        IReadOnlyList<Requeued> Choose(SqliteConnection connection, SqliteTransaction? transaction)
        {
            if (photo is null)
            {
                return chosenTiers.SelectMany(t => Outdated(connection, t, transaction)).ToList();
            }

            var photoId = FindPhoto(connection, photo, transaction)
                          ?? throw new ArgumentException($"no photo with id or path '{photo}' in the database", nameof(photo));
            return chosenTiers.Select(t => ForPhoto(connection, photoId, t, transaction)).ToList();
        }

        if (dryRun)
        {
            using var reader = database.OpenReadOnly();
            return Choose(reader, null);
        }

        return await database.WriteAsync((connection, transaction) =>
        {
            var chosen = Choose(connection, transaction);
            Requeue(connection, transaction, chosen);
            return chosen;
        }, cancellationToken);
    }

    private TierOptions Options(string tier) => tier switch
    {
        StageGraph.Quick => tiers.Quick,
        StageGraph.Deep => tiers.Deep,
        _ => throw new ArgumentException($"unknown tier '{tier}'; use quick or deep", nameof(tier)),
    };

    private static string? PathOf(SqliteConnection connection, long photoId, SqliteTransaction? transaction) =>
        connection.ExecuteScalar<string?>(
            "SELECT path FROM files WHERE photo_id = @PhotoId ORDER BY status = 'present' DESC, id LIMIT 1", new { PhotoId = photoId }, transaction);
}
