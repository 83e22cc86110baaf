using Dapper;
using Microsoft.Data.Sqlite;

namespace PrivateVlm.Viewer.Library;

/// <summary>Everything the database knows about one photo, for its page: files, L0, L1 labels, both VLM tiers, its
/// near-duplicate group, its jobs and what went wrong.</summary>
public sealed record PhotoDossier(
    PhotoIdentity Photo,
    IReadOnlyList<PhotoFileRow> Files,
    IReadOnlyList<KeyValuePair<string, object>> Metadata,
    IReadOnlyList<LabelRow> Labels,
    IReadOnlyList<DescriptionRow> Descriptions,
    ClusterView? Cluster,
    IReadOnlyList<JobRow> Jobs,
    IReadOnlyList<JobErrorRow> Errors,
    IReadOnlyList<VlmFailureRow> VlmFailures)
{
    public const int MembersShown = 60;

    public string Name => Files.FirstOrDefault(f => f.Status == "present")?.Path is { } path ? System.IO.Path.GetFileName(path) : $"photo {Photo.Id}";

    /// <summary>Reads photo <paramref name="photoId"/>; null when there is no such photo.</summary>
    public static PhotoDossier? Read(SqliteConnection connection, long photoId)
    {
        var photo = connection.QuerySingleOrDefault<PhotoIdentity>(
            "SELECT id AS Id, sha256 AS Sha256, size_bytes AS SizeBytes, first_seen_at AS FirstSeenAt FROM photos WHERE id = @photoId",
            new { photoId });
        if (photo is null)
        {
            return null;
        }

        var files = connection.Query<PhotoFileRow>(
            """
            SELECT path AS Path, status AS Status, error AS Error, size_bytes AS SizeBytes, last_seen_at AS LastSeenAt
            FROM files WHERE photo_id = @photoId ORDER BY status = 'present' DESC, id
            """, new { photoId }).ToList();

        // Every L0 column as the table stores it, in the table's order, empty ones left out.
        var metadataRow = connection.QuerySingleOrDefault("SELECT * FROM photo_metadata WHERE photo_id = @photoId", new { photoId })
            as IDictionary<string, object>;
        var metadata = metadataRow?.Where(kv => kv.Value is not null && kv.Key != "photo_id").ToList() ?? [];

        var labels = connection.Query<LabelRow>(
            "SELECT model AS Model, label_list AS LabelList, rank AS Rank, label AS Label, score AS Score FROM photo_labels WHERE photo_id = @photoId ORDER BY model, rank",
            new { photoId }).ToList();

        var descriptions = connection.Query<DescriptionRow>(
            """
            SELECT tier AS Tier, source_photo_id AS SourcePhotoId, similarity AS Similarity, model AS Model,
                   prompt_version AS PromptVersion, result_json AS ResultJson, image_width AS ImageWidth,
                   image_height AS ImageHeight, wall_ms AS WallMs, created_at AS CreatedAt
            FROM vlm_results WHERE photo_id = @photoId ORDER BY tier = 'deep', tier
            """, new { photoId }).ToList();

        var jobs = connection.Query<JobRow>(
            """
            SELECT stage AS Stage, state AS State, attempts AS Attempts, last_error AS LastError, enqueued_at AS EnqueuedAt,
                   started_at AS StartedAt, finished_at AS FinishedAt
            FROM jobs WHERE photo_id = @photoId ORDER BY id
            """, new { photoId }).ToList();

        var errors = connection.Query<JobErrorRow>(
            "SELECT stage AS Stage, attempt AS Attempt, error AS Error, occurred_at AS OccurredAt FROM job_errors WHERE photo_id = @photoId ORDER BY id DESC LIMIT 50",
            new { photoId }).ToList();

        var failures = connection.Query<VlmFailureRow>(
            "SELECT tier AS Tier, error AS Error, substr(raw_text, 1, 2000) AS RawText, occurred_at AS OccurredAt FROM vlm_failures WHERE photo_id = @photoId ORDER BY id DESC LIMIT 20",
            new { photoId }).ToList();

        return new PhotoDossier(photo, files, metadata, labels, descriptions, ReadCluster(connection, photoId), jobs, errors, failures);
    }

    private static ClusterView? ReadCluster(SqliteConnection connection, long photoId)
    {
        var membership = connection.QuerySingleOrDefault<Membership>(
            """
            SELECT m.cluster_id AS ClusterId, c.representative_photo_id AS Representative, m.distance AS Distance, m.cosine AS Cosine, m.reason AS Reason
            FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id WHERE m.photo_id = @photoId
            """, new { photoId });
        if (membership is not { } m)
        {
            return null;
        }

        var size = connection.ExecuteScalar<long>("SELECT count(*) FROM cluster_members WHERE cluster_id = @ClusterId", new { m.ClusterId });
        // A member inherited when one of its descriptions came from the representative's pixels.
        var members = connection.Query<ClusterMemberRow>(
            """
            SELECT m.photo_id AS PhotoId,
                   (SELECT f.path FROM files f WHERE f.photo_id = m.photo_id AND f.status = 'present' ORDER BY f.id LIMIT 1) AS Path,
                   m.distance AS Distance, m.cosine AS Cosine, m.reason AS Reason,
                   (SELECT group_concat(r.tier, ', ') FROM vlm_results r
                    WHERE r.photo_id = m.photo_id AND r.source_photo_id = @Representative AND r.photo_id <> r.source_photo_id) AS InheritedTiers
            FROM cluster_members m WHERE m.cluster_id = @ClusterId
            ORDER BY m.photo_id = @Representative DESC, m.photo_id LIMIT @MembersShown
            """, new { m.ClusterId, m.Representative, MembersShown }).ToList();
        return new ClusterView(m.ClusterId, m.Representative, m.Distance, m.Cosine, m.Reason, size, members);
    }
}

internal sealed record Membership(long ClusterId, long Representative, long Distance, double? Cosine, string Reason)
{
    public Membership() : this(0, 0, 0, null, "") { }
}

public sealed record PhotoIdentity(long Id, string Sha256, long SizeBytes, string FirstSeenAt)
{
    public PhotoIdentity() : this(0, "", 0, "") { }
}

public sealed record PhotoFileRow(string Path, string Status, string? Error, long SizeBytes, string LastSeenAt)
{
    public PhotoFileRow() : this("", "", null, 0, "") { }
}

public sealed record LabelRow(string Model, string LabelList, long Rank, string Label, double Score)
{
    public LabelRow() : this("", "", 0, "", 0) { }
}

/// <param name="SourcePhotoId">The photo whose pixels were described: this photo, or its group's representative.</param>
public sealed record DescriptionRow(
    string Tier, long SourcePhotoId, double? Similarity, string Model, string PromptVersion, string ResultJson,
    long ImageWidth, long ImageHeight, double WallMs, string CreatedAt)
{
    public DescriptionRow() : this("", 0, null, "", "", "{}", 0, 0, 0, "") { }
}

public sealed record ClusterView(
    long ClusterId, long RepresentativePhotoId, long Distance, double? Cosine, string Reason, long Size, IReadOnlyList<ClusterMemberRow> Members);

/// <param name="InheritedTiers">The tiers whose description this member copied from the representative, or null.</param>
public sealed record ClusterMemberRow(long PhotoId, string? Path, long Distance, double? Cosine, string Reason, string? InheritedTiers)
{
    public ClusterMemberRow() : this(0, null, 0, null, "", null) { }
}

public sealed record JobRow(string Stage, string State, long Attempts, string? LastError, string EnqueuedAt, string? StartedAt, string? FinishedAt)
{
    public JobRow() : this("", "", 0, null, "", null, null) { }
}

public sealed record JobErrorRow(string Stage, long Attempt, string Error, string OccurredAt)
{
    public JobErrorRow() : this("", 0, "", "") { }
}

public sealed record VlmFailureRow(string Tier, string Error, string? RawText, string OccurredAt)
{
    public VlmFailureRow() : this("", "", null, "") { }
}
