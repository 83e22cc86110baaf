using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

// Jobs for stages that became runnable after photos were already past their prerequisites.
public sealed partial class JobQueue
{
    /// <summary>
    /// Queues stages that were added or became configured since the last start (a model installed) for every photo
    /// that is ready for them. Runs in start-up recovery's transaction.
    /// </summary>
    private int BackfillNewlyRunnableStages(SqliteConnection connection, SqliteTransaction transaction)
    {
        var backfilled = 0;
        foreach (var gate in _stages.Gates)
        {
            backfilled += connection.Execute(
                """
                INSERT OR IGNORE INTO jobs (photo_id, stage, state, not_before, enqueued_at)
                SELECT p.id, @Stage, 'queued', @Now, @Now FROM photos p
                WHERE (SELECT count(*) FROM jobs j
                       WHERE j.photo_id = p.id AND j.state = 'done'
                         AND j.stage IN (SELECT value FROM json_each(@Prerequisites))) = @PrerequisiteCount
                """,
                new
                {
                    Stage = gate.Stage.Name,
                    Now,
                    Prerequisites = gate.PrerequisitesJson,
                    gate.PrerequisiteCount,
                },
                transaction);
        }

        return backfilled;
    }
}
