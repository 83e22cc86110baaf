using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

/// <summary>What `privatevlm status` reports, read from the database alone (so it works while the daemon runs). Needs
/// the current schema (<see cref="LibraryDatabase.OpenReadOnlyAtCurrentSchema"/>).</summary>
public sealed record PipelineStatus(
    long PhotosSeen,
    long FilesPresent,
    long FilesRejected,
    long FilesDeleted,
    IReadOnlyList<StageProgress> Stages,
    string? OldestQueuedAt,
    IReadOnlyList<RecentError> LastErrors,
    Clustering.ClusterTotals Clusters)
{
    /// <summary>Registered stages that cannot run here (e.g. L1 without a CLIP model), with the reason.</summary>
    public IReadOnlyList<UnconfiguredStage> NotConfigured { get; init; } = [];

    /// <summary>Jobs waiting for a library or decoder this machine lacks (e.g. HEIC without an HEVC decoder), per
    /// stage and reason; they run once it is installed, at the next start at the latest.</summary>
    public IReadOnlyList<MachineWait> WaitingForMachine { get; init; } = [];

    /// <summary>Files in the folders that are not images (notes, videos, a Live Photo's movie): recorded once, no photo,
    /// no job, never a failure.</summary>
    public long FilesIgnored { get; init; }

    /// <summary>XMP sidecars, read with the photo of their name (no photo of their own).</summary>
    public long SidecarFiles { get; init; }

    /// <summary>The line `status` prints about files that are no photos; null when there are none.</summary>
    public string? NonPhotoLine => FilesIgnored == 0 && SidecarFiles == 0
        ? null
        : string.Join("; ", new[]
        {
            FilesIgnored > 0 ? $"ignored: {FilesIgnored} {(FilesIgnored == 1 ? "file" : "files")} (not images)" : null,
            SidecarFiles > 0 ? $"sidecars: {SidecarFiles} XMP {(SidecarFiles == 1 ? "file" : "files")} (read with their photos)" : null,
        }.OfType<string>());

    /// <summary>Which libvips this machine decodes with and whether it decodes HEIC (null when not probed).</summary>
    public Imaging.ImagingDiagnostics? Imaging { get; init; }

    /// <summary>This status plus which of <paramref name="stages"/> are not configured in this process's configuration.</summary>
    public PipelineStatus WithConfiguration(IEnumerable<IPhotoStage> stages) => this with
    {
        NotConfigured = stages.Where(s => !s.IsConfigured)
            .Select(s => new UnconfiguredStage(s.Name, s.NotConfiguredReason ?? "a stage it depends on is not configured")).ToList(),
    };

    public static PipelineStatus Read(SqliteConnection connection, TimeProvider time, int errorCount = 5)
    {
        var oneMinuteAgo = UtcText.From(time.GetUtcNow() - TimeSpan.FromMinutes(1));
        var files = connection.Query<(string Status, long Count)>("SELECT status, count(*) FROM files GROUP BY status")
            .ToDictionary(r => r.Status, r => r.Count);
        var stages = connection.Query<StageProgress>(
            """
            SELECT stage AS Stage,
                   sum(state = 'queued')  AS Queued,
                   sum(state = 'running') AS Running,
                   sum(state = 'done')    AS Done,
                   sum(state = 'failed')  AS Failed,
                   sum(state = 'done' AND finished_at >= @oneMinuteAgo) AS DoneLastMinute,
                   min(CASE WHEN state = 'queued' THEN enqueued_at END) AS OldestQueuedAt,
                   sum(crash_suspect = 1 AND state IN ('queued', 'running')) AS CrashSuspects
            FROM jobs GROUP BY stage ORDER BY min(id)
            """,
            new { oneMinuteAgo }).ToList();
        var errors = connection.Query<RecentError>(
            """
            SELECT occurred_at AS OccurredAt, stage AS Stage, path AS Path, error AS Error FROM (
                SELECT e.occurred_at, e.stage, (SELECT f.path FROM files f WHERE f.photo_id = e.photo_id ORDER BY f.status = 'present' DESC, f.id LIMIT 1) AS path, e.error
                FROM job_errors e ORDER BY e.id DESC LIMIT @errorCount)
            UNION ALL
            SELECT * FROM (SELECT last_seen_at, 'ingest', path, error FROM files WHERE status = 'rejected' ORDER BY last_seen_at DESC LIMIT @errorCount)
            ORDER BY 1 DESC LIMIT @errorCount
            """,
            new { errorCount }).ToList();
        var waiting = connection.Query<MachineWait>(
            """
            SELECT stage AS Stage, count(*) AS Photos, substr(last_error, length(@Prefix) + 1) AS Reason
            FROM jobs WHERE state = 'queued' AND last_error LIKE @Prefix || '%'
            GROUP BY stage, last_error ORDER BY min(id)
            """,
            new { Prefix = NotAvailableHereException.ReasonPrefix }).ToList();
        return new PipelineStatus(
            connection.ExecuteScalar<long>("SELECT count(*) FROM photos"),
            files.GetValueOrDefault("present"),
            files.GetValueOrDefault("rejected"),
            files.GetValueOrDefault("deleted"),
            stages,
            stages.Select(s => s.OldestQueuedAt).Where(s => s is not null).Min(StringComparer.Ordinal),
            errors,
            Clustering.ClusterTables.Totals(connection))
        {
            WaitingForMachine = waiting,
            FilesIgnored = files.GetValueOrDefault("ignored"),
            SidecarFiles = files.GetValueOrDefault("sidecar"),
        };
    }
}

public sealed record UnconfiguredStage(string Stage, string Reason);

public sealed record MachineWait(string Stage, long Photos, string Reason)
{
    public MachineWait() : this("", 0, "") { }
}

/// <param name="CrashSuspects">Jobs that were in flight when the daemon last died and now run one at a time first.</param>
public sealed record StageProgress(
    string Stage, long Queued, long Running, long Done, long Failed, long DoneLastMinute, string? OldestQueuedAt, long CrashSuspects = 0)
{
    public StageProgress() : this("", 0, 0, 0, 0, 0, null) { }
}

public sealed record RecentError(string OccurredAt, string Stage, string? Path, string Error)
{
    public RecentError() : this("", "", null, "") { }
}
