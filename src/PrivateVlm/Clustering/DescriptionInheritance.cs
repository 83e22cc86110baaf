using Microsoft.Data.Sqlite;
using PrivateVlm.Ingest;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Results;

namespace PrivateVlm.Clustering;

/// <summary>
/// Near-duplicates cost no model call: at a VLM tier (<see cref="StageNode.InheritedByClusterMembers"/>) a cluster
/// member inherits its representative's own result (stored as inherited, with the representative's id and the
/// similarity). While the representative's job is queued or running (its first description, or a new one after a
/// prompt change or `reprocess`) the member waits for it, its attempt not counted, rather than copy what is about to be
/// replaced. A representative deleted before it was described hands its group to the photos left. If the
/// representative failed, has no job at this tier, or holds only an inherited row itself, the member gets its own
/// analysis. A representative described again hands its new description to the members that copied the old one.
/// </summary>
/// <param name="membership">Null when near-duplicate grouping is not registered.</param>
public sealed class DescriptionInheritance(LibraryDatabase database, ClusterMembership? membership, TimeProvider time)
{
    /// <summary>What a member gets from its representative at <paramref name="tier"/>: the copy, or a wait; null means
    /// "analyse this photo itself".</summary>
    public async Task<StageOutcome?> FromRepresentativeAsync(PhotoJob job, string tier, TimeSpan representativeWait, CancellationToken cancellationToken)
    {
        if (!StageGraph.Of(tier).InheritedByClusterMembers)
        {
            return null;
        }

        using var connection = database.Open();
        if (ClusterMembership.RepresentativeOf(connection, job.PhotoId) is not { } representative)
        {
            return null;
        }

        var representativeId = representative.RepresentativeId;
        var described = VlmResultsTable.HasOwn(connection, representativeId, tier);
        if (membership is not null && !described && !PhotoFileRecords.HasPresentFile(connection, representativeId))
        {
            // Deleted before it was described here: it never will be. Its group goes to the photos left; this one runs
            // again at once as whatever it now is (the new representative, or a member waiting for it).
            await membership.HandOverGroupOfDeletedAsync(representativeId, cancellationToken);
            return new StageOutcome.Postponed(TimeSpan.Zero, $"near-duplicate representative photo {representativeId} was deleted before it was described; its group passed to the photos left");
        }

        if (JobQueue.StateOf(connection, representativeId, tier) is "queued" or "running")
        {
            return new StageOutcome.Postponed(representativeWait, $"waiting for near-duplicate representative photo {representativeId}");
        }

        if (!described)
        {
            return null;
        }

        var now = time.GetUtcNow();
        return StageOutcome.Succeeded((c, t) => CopyFromRepresentative(c, t, job.PhotoId, representativeId, tier, now));
    }

    /// <summary>Runs in the commit's transaction of the representative's own new result.</summary>
    public static void RefreshInheritors(SqliteConnection connection, SqliteTransaction transaction, long representativeId, string tier, DateTimeOffset now)
    {
        foreach (var member in VlmResultsTable.InheritorsOf(connection, transaction, representativeId, tier))
        {
            if (ClusterMembership.RepresentativeOf(connection, member, transaction) is { } current && current.RepresentativeId == representativeId)
            {
                VlmResultsTable.Inherit(connection, transaction, member, representativeId, current.Similarity, tier, now);
            }
        }
    }

    /// <summary>
    /// Runs in the commit's transaction: what was checked before may have moved on since (the member promoted or
    /// regrouped, the representative queued to be described again), and then the copy would be wrong.
    /// </summary>
    private static void CopyFromRepresentative(
        SqliteConnection connection, SqliteTransaction transaction, long photoId, long representativeId, string tier, DateTimeOffset now)
    {
        if (ClusterMembership.RepresentativeOf(connection, photoId, transaction) is not { } current
            || current.RepresentativeId != representativeId
            || JobQueue.StateOf(connection, representativeId, tier, transaction) is "queued" or "running"
            || !VlmResultsTable.Inherit(connection, transaction, photoId, representativeId, current.Similarity, tier, now))
        {
            throw new OutdatedResultException(
                $"near-duplicate representative photo {representativeId} changed before its {tier} result could be copied");
        }
    }
}
