using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using PrivateVlm.Storage;

namespace PrivateVlm.Clustering;

/// <summary>
/// The grouping API: assign a hashed photo, ask whose analysis a photo inherits, promote a member to its own
/// analysis, regroup everything with the current thresholds. None of it deletes a result row of another table.
/// </summary>
public sealed class ClusterMembership
{
    private readonly LibraryDatabase _database;
    private readonly RepresentativeIndex _index = new();
    private readonly GroupingRule _rule;
    private readonly TimeProvider _time;

    public ClusterMembership(LibraryDatabase database, IOptions<ClusteringOptions> options, TimeProvider time)
    {
        _database = database;
        _rule = new GroupingRule(options.Value);
        _time = time;
    }

    /// <summary>Representative whose VLM results a photo inherits, with how alike the two are; null when the photo
    /// is its own representative or not grouped (it then needs its own model call).</summary>
    public static InheritedFrom? RepresentativeOf(SqliteConnection connection, long photoId, SqliteTransaction? transaction = null) =>
        ClusterTables.RepresentativeOf(connection, transaction, photoId);

    /// <summary>Joins the photo (its hashes already saved in this transaction) to a group or starts one. A photo that
    /// led a group takes it along: its other members are placed again, so every hashed photo stays in one group.</summary>
    public void Assign(SqliteConnection connection, SqliteTransaction transaction, long photoId, DateTimeOffset now)
    {
        EnsureLoaded(connection, transaction);
        var photo = WithEmbedding(connection, transaction, ClusterTables.Candidate(connection, transaction, photoId)
                    ?? throw new InvalidOperationException($"photo {photoId} has no hashes"));
        var leftWithIt = Leave(connection, transaction, photoId, now, "reassigned");
        Place(connection, transaction, photo, now);
        PlaceAgain(connection, transaction, leftWithIt, now);
    }

    /// <summary>
    /// `reprocess --photo ID --own`: the photo leaves its group (kept in cluster_history) and becomes the
    /// representative of a group of its own. The VLM side must then queue its quick and deep jobs again, since its
    /// inherited rows (source_photo_id = the old representative) are not its own analysis.
    /// </summary>
    public Task<bool> PromoteToOwnAnalysisAsync(long photoId, CancellationToken cancellationToken) =>
        _database.WriteAsync((connection, transaction) =>
        {
            if (ClusterTables.RepresentativeOf(connection, transaction, photoId) is null)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            var leftWithIt = Leave(connection, transaction, photoId, now, "promoted to its own analysis");
            ClusterTables.StartGroup(connection, transaction, photoId, now, "promoted");
            var candidate = ClusterTables.Candidate(connection, transaction, photoId);
            if (candidate is not null)
            {
                _index.Add(candidate);
            }

            if (leftWithIt.Count > 0)
            {
                EnsureLoaded(connection, transaction);
                PlaceAgain(connection, transaction, leftWithIt, now);
            }

            return true;
        }, cancellationToken);

    /// <summary>
    /// A representative whose every file was deleted before a tier described it (a burst culled right after import)
    /// can never be described there: its group is formed again without it, the other members placed by the rule as if
    /// they had just arrived (the first becomes the representative the others copy), so the culled frame does not turn
    /// into one model call per remaining member. False when there was nothing to do: the photo no longer leads a group
    /// or a file holds it again (another member got here first, or the file was only moved).
    /// </summary>
    public Task<bool> HandOverGroupOfDeletedAsync(long representativeId, CancellationToken cancellationToken) =>
        _database.WriteAsync((connection, transaction) =>
        {
            if (!ClusterTables.IsRepresentative(connection, transaction, representativeId)
                || Ingest.PhotoFileRecords.HasPresentFile(connection, representativeId, transaction))
            {
                return false;
            }

            var now = _time.GetUtcNow();
            EnsureLoaded(connection, transaction);
            PlaceAgain(connection, transaction, Leave(connection, transaction, representativeId, now, "its file was deleted before it was described"), now);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Recomputes every membership from the stored hashes with the current thresholds: today's representatives
    /// first, then every other photo, each in capture-time order. Representatives are the photos already described,
    /// so going first they stay representatives wherever the thresholds allow, and a regroup with unchanged
    /// thresholds costs no new model call. Only cluster tables change (old memberships go to cluster_history);
    /// returns the number of groups. Inherited results whose source is no longer the photo's representative are
    /// then outdated (<c>TierReprocessing.FormerInheritors</c>).
    /// </summary>
    public Task<int> RegroupAsync(CancellationToken cancellationToken) =>
        _database.WriteAsync((connection, transaction) =>
        {
            var now = _time.GetUtcNow();
            var representatives = ClusterTables.RepresentativeIds(connection, transaction).ToHashSet();
            ClusterTables.ClearMembership(connection, transaction, now, "regrouped");
            _index.Load([]);
            var inOrder = ClusterTables.AllHashed(connection, transaction).OrderBy(p => !representatives.Contains(p.PhotoId)).ToList();
            foreach (var hashed in inOrder)
            {
                var photo = WithEmbedding(connection, transaction, hashed);
                if (Find(connection, transaction, photo) is { } match)
                {
                    ClusterTables.JoinGroup(connection, transaction, photo.PhotoId, match, now);
                }
                else
                {
                    ClusterTables.StartGroup(connection, transaction, photo.PhotoId, now, "first of its kind");
                    _index.Add(photo);
                }
            }

            return _index.Count;
        }, cancellationToken);

    /// <summary>The photo leaves its group; the index forgets it as a representative (the database no longer names it
    /// one, and a rolled-back transaction only makes the index miss it, never merge wrongly).</summary>
    private IReadOnlyList<long> Leave(SqliteConnection connection, SqliteTransaction transaction, long photoId, DateTimeOffset now, string why)
    {
        var leftWithIt = ClusterTables.Leave(connection, transaction, photoId, now, why);
        _index.Remove(photoId);
        return leftWithIt;
    }

    /// <summary>Joins the closest representative the database confirms, or starts a group.</summary>
    private void Place(SqliteConnection connection, SqliteTransaction transaction, ClusterCandidate photo, DateTimeOffset now)
    {
        var match = Find(connection, transaction, photo);
        // The index may hold a representative whose transaction rolled back: trust only the database.
        while (match is not null && !ClusterTables.IsRepresentative(connection, transaction, match.RepresentativePhotoId))
        {
            _index.Remove(match.RepresentativePhotoId);
            match = Find(connection, transaction, photo);
        }

        if (match is null)
        {
            ClusterTables.StartGroup(connection, transaction, photo.PhotoId, now, "first of its kind");
            _index.Add(photo);
        }
        else
        {
            ClusterTables.JoinGroup(connection, transaction, photo.PhotoId, match, now);
        }
    }

    /// <summary>Members whose representative took their group away, placed by the rule as if they had just arrived.</summary>
    private void PlaceAgain(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<long> photoIds, DateTimeOffset now)
    {
        foreach (var photoId in photoIds)
        {
            if (ClusterTables.Candidate(connection, transaction, photoId) is { } candidate)
            {
                Place(connection, transaction, WithEmbedding(connection, transaction, candidate), now);
            }
        }
    }

    private static ClusterCandidate WithEmbedding(SqliteConnection connection, SqliteTransaction transaction, ClusterCandidate photo) =>
        photo with { Embedding = ClusterTables.Embedding(connection, transaction, photo.PhotoId) };

    /// <summary>The index's choice, with the CLIP cosine to the chosen representative recorded whenever both have an
    /// embedding of one model (also when the hash decided).</summary>
    private ClusterMatch? Find(SqliteConnection connection, SqliteTransaction transaction, ClusterCandidate photo)
    {
        if (photo.Embedding is not { } embedding)
        {
            return _index.Find(photo, _rule);
        }

        var cosines = new RepresentativeCosines(connection, transaction, embedding);
        var match = _index.Find(photo, _rule, cosines.Of);
        return match is { Cosine: null } ? match with { Cosine = cosines.Of([match.RepresentativePhotoId])[0] } : match;
    }

    private void EnsureLoaded(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (!_index.Loaded)
        {
            _index.Load(ClusterTables.Representatives(connection, transaction));
        }
    }
}
