using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

/// <summary>One failed job `privatevlm retry --failed` puts back in the queue, with the error it had failed with.</summary>
public sealed record RetriedJob(long PhotoId, string Stage, string? Path, long Attempts, string? LastError);

/// <summary>What `retry --failed` found: the jobs it re-queued, and failed jobs it left alone because their photo
/// has no file any more (there is nothing to read; a new file with the same content is a new chance anyway).</summary>
public sealed record RetryReport(IReadOnlyList<RetriedJob> Requeued, int LeftWithoutFile);

/// <summary>
/// `privatevlm retry --failed [--stage S]`: puts every failed job (of one stage, or of every stage) back in the queue
/// in one write transaction, attempts 0 and due now, safe while the daemon runs; a running daemon picks them up within
/// its idle recheck (30 s). A failed job's later stages were never queued, so they follow once it is done.
/// </summary>
public sealed class FailedJobRetry(LibraryDatabase database, TimeProvider time)
{
    /// <summary>Stage names a user may pass: the daemon's stages (also when no job of theirs exists yet).</summary>
    public static IReadOnlyList<string> KnownStages => StageGraph.Names;

    /// <exception cref="ArgumentException">A stage that is not one of <see cref="KnownStages"/>.</exception>
    public async Task<RetryReport> RunAsync(string? stage, bool dryRun, CancellationToken cancellationToken)
    {
        if (stage is not null && !KnownStages.Contains(stage, StringComparer.Ordinal))
        {
            throw new ArgumentException($"no stage named '{stage}'; stages: {string.Join(", ", KnownStages)}", nameof(stage));
        }

        // Never creates a database: a mistyped --db says so instead of leaving an empty library behind.
        using (database.OpenReadOnlyAtCurrentSchema())
        {
        }

        if (dryRun)
        {
            using var reader = database.OpenReadOnly();
            return Choose(reader, null, stage);
        }

        return await database.WriteAsync((connection, transaction) =>
        {
            var report = Choose(connection, transaction, stage);
            var now = UtcText.From(time.GetUtcNow());
            foreach (var job in report.Requeued)
            {
                connection.Execute(
                    """
                    UPDATE jobs SET state = 'queued', attempts = 0, not_before = @Now, enqueued_at = @Now, lease_owner = NULL,
                                    lease_expires_at = NULL, started_at = NULL, finished_at = NULL, crash_suspect = 0,
                                    last_error = 'retry --failed after: ' || coalesce(last_error, 'no error recorded')
                    WHERE photo_id = @PhotoId AND stage = @Stage AND state = 'failed'
                    """,
                    new { Now = now, job.PhotoId, job.Stage },
                    transaction);
            }

            return report;
        }, cancellationToken);
    }

    private static RetryReport Choose(SqliteConnection connection, SqliteTransaction? transaction, string? stage)
    {
        var failed = connection.Query<(long PhotoId, string Stage, string? Path, long Attempts, string? LastError)>(
            """
            SELECT j.photo_id, j.stage,
                   (SELECT f.path FROM files f WHERE f.photo_id = j.photo_id AND f.status = 'present' ORDER BY f.id LIMIT 1),
                   j.attempts, j.last_error
            FROM jobs j
            WHERE j.state = 'failed' AND (@stage IS NULL OR j.stage = @stage)
            ORDER BY j.photo_id, j.stage
            """,
            new { stage },
            transaction).ToList();
        var requeued = failed.Where(f => f.Path is not null).Select(f => new RetriedJob(f.PhotoId, f.Stage, f.Path, f.Attempts, f.LastError)).ToList();
        return new RetryReport(requeued, failed.Count - requeued.Count);
    }
}
