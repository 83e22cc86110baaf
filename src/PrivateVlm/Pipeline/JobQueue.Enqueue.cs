using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

// Queuing a photo's stages once their prerequisites are done, and again when their input changed.
public sealed partial class JobQueue
{
    /// <summary>
    /// Queues every runnable stage whose prerequisites are all done for this photo (INSERT OR IGNORE: a stage is
    /// queued once per photo). Call inside the transaction that made the photo or finished a stage.
    /// </summary>
    public IReadOnlyList<string> EnqueueReadyStages(SqliteConnection connection, SqliteTransaction transaction, long photoId)
    {
        var queued = new List<string>();
        foreach (var gate in _stages.Gates)
        {
            var inserted = connection.Execute(
                """
                INSERT OR IGNORE INTO jobs (photo_id, stage, state, not_before, enqueued_at)
                SELECT @PhotoId, @Stage, 'queued', @Now, @Now
                WHERE (SELECT count(*) FROM jobs j
                       WHERE j.photo_id = @PhotoId AND j.state = 'done'
                         AND j.stage IN (SELECT value FROM json_each(@Prerequisites))) = @PrerequisiteCount
                """,
                new
                {
                    PhotoId = photoId,
                    Stage = gate.Stage.Name,
                    Now,
                    Prerequisites = gate.PrerequisitesJson,
                    gate.PrerequisiteCount,
                },
                transaction);
            if (inserted > 0)
            {
                queued.Add(gate.Stage.Name);
            }
        }

        return queued;
    }

    /// <summary>
    /// Runs a finished stage of a photo again because its input changed outside the photo's bytes (an XMP sidecar was
    /// edited). A queued or running job is left alone: it has not read the input yet, or is reading it now.
    /// True when the job was queued again.
    /// </summary>
    public bool Requeue(SqliteConnection connection, SqliteTransaction transaction, long photoId, string stage, string why) =>
        connection.Execute(
            """
            UPDATE jobs SET state = 'queued', attempts = 0, not_before = @Now, enqueued_at = @Now, lease_owner = NULL,
                            lease_expires_at = NULL, started_at = NULL, finished_at = NULL, last_error = @why
            WHERE photo_id = @photoId AND stage = @stage AND state IN ('done', 'failed')
            """,
            new { photoId, stage, why, Now },
            transaction) > 0;
}
