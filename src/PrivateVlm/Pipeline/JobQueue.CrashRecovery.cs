using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

// Start-up recovery. After an unexpected stop with several jobs in flight, those jobs are crash suspects: they run one
// at a time before anything else, so a photo that kills the process is told apart from the innocent ones beside it,
// and one that keeps killing it is quarantined (see migrations/0007_crash_suspects.sql).
public sealed partial class JobQueue
{
    // Set by start-up recovery while crash suspects are queued; cleared by the first claim that finds none left.
    private volatile bool _suspectsFirst;

    /// <summary>True while crash suspects run one at a time: other claims return nothing, and every finished suspect
    /// wakes every stage, so idle workers should wait for that pulse rather than for the next due job.</summary>
    public bool RunsCrashSuspectsAlone => _suspectsFirst;

    /// <summary>
    /// Start-up recovery. Only one daemon runs per database (see <see cref="Daemon.DaemonInstanceLock"/>), so every
    /// 'running' job belongs to a process that died. A job that was alone in flight is the likeliest cause: it keeps
    /// the attempt its claim counted and fails when that was its last (a photo that keeps killing the process is
    /// quarantined). Jobs that were in flight together get their attempt back, since nobody knows which one it was.
    /// Either way they return to the queue as crash suspects, to run one at a time first. Then stages that were added
    /// or became configured since (a model installed) get jobs for photos that are ready for them.
    /// </summary>
    public async Task<RecoveryReport> RecoverAsync(CancellationToken cancellationToken)
    {
        var report = await _database.WriteAsync((connection, transaction) =>
        {
            var inFlight = connection.ExecuteScalar<long>("SELECT count(*) FROM jobs WHERE state = 'running'", transaction: transaction);
            var quarantined = 0;
            foreach (var stage in inFlight == 1 ? _stages.All : [])
            {
                quarantined += connection.Execute(
                    """
                    UPDATE jobs SET state = 'failed', finished_at = @Now, lease_owner = NULL, lease_expires_at = NULL, crash_suspect = 0,
                           last_error = 'the daemon stopped unexpectedly ' || attempts || ' time(s) while processing this photo alone; quarantined'
                    WHERE stage = @Stage AND state = 'running' AND attempts >= @MaxAttempts
                    """,
                    new { Now, Stage = stage.Name, stage.Policy.MaxAttempts },
                    transaction);
            }

            var released = connection.Execute(
                """
                UPDATE jobs SET state = 'queued', attempts = max(attempts - @Refund, 0), crash_suspect = 1,
                                lease_owner = NULL, lease_expires_at = NULL, not_before = @Now
                WHERE state = 'running'
                """,
                new { Now, Refund = inFlight > 1 ? 1 : 0 },
                transaction);
            var suspects = CrashSuspectsLeft(connection, transaction);

            // Jobs that waited for a library or decoder this machine lacked are due now: this start may have it.
            connection.Execute(
                "UPDATE jobs SET not_before = @Now WHERE state = 'queued' AND last_error LIKE @Waiting AND not_before > @Now",
                new { Now, Waiting = NotAvailableHereException.ReasonPrefix + "%" },
                transaction);

            var backfilled = BackfillNewlyRunnableStages(connection, transaction);

            return new RecoveryReport(released, quarantined, backfilled, (int)suspects);
        }, cancellationToken);

        _suspectsFirst = report.CrashSuspects > 0;
        PulseRunnable();
        return report;
    }

    /// <summary>
    /// While crash suspects are left: one of this stage's, and only when nothing else is in flight (an empty list
    /// otherwise, also when the suspects left belong to other stages). Null once no suspect is left in any stage.
    /// </summary>
    private async Task<IReadOnlyList<ClaimedJob>?> ClaimCrashSuspectAsync(IPhotoStage stage, string workerId, CancellationToken cancellationToken) =>
        await _database.WriteAsync<IReadOnlyList<ClaimedJob>?>((connection, transaction) =>
        {
            if (CrashSuspectsLeft(connection, transaction) == 0)
            {
                return null;
            }

            var now = _time.GetUtcNow();
            var nowText = UtcText.From(now);
            if (connection.ExecuteScalar<long>(
                    "SELECT count(*) FROM jobs WHERE state = 'running' AND lease_expires_at >= @Now", new { Now = nowText }, transaction) > 0)
            {
                return [];
            }

            var suspect = connection.QueryFirstOrDefault<(long Id, long PhotoId, long Attempts)?>(
                """
                SELECT id, photo_id, attempts FROM jobs
                WHERE stage = @Stage AND crash_suspect = 1
                  AND ((state = 'queued' AND not_before <= @Now) OR (state = 'running' AND lease_expires_at < @Now))
                ORDER BY photo_id
                LIMIT 1
                """,
                new { Stage = stage.Name, Now = nowText },
                transaction);
            return suspect is { } job && TryClaim(connection, transaction, stage, job, workerId, now) is { } taken ? [taken] : [];
        }, cancellationToken);

    private long CrashSuspectsLeft(SqliteConnection connection, SqliteTransaction transaction) =>
        connection.ExecuteScalar<long>(
            """
            SELECT count(*) FROM jobs
            WHERE crash_suspect = 1 AND state IN ('queued', 'running') AND stage IN (SELECT value FROM json_each(@Runnable))
            """,
            new { Runnable = _stages.RunnableJson },
            transaction);

    // A suspect has finished running alone: the next one may be any stage's.
    private void PulseRunnableWhileSuspectsRunAlone()
    {
        if (_suspectsFirst)
        {
            PulseRunnable();
        }
    }
}

/// <param name="CrashSuspects">Jobs that were in flight when the process died, now run one at a time first.</param>
public sealed record RecoveryReport(int ReturnedToQueue, int Quarantined, int Backfilled, int CrashSuspects);
