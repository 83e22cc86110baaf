using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

/// <summary>
/// The durable job queue (all SQL on the jobs and job_errors tables lives here). One row per (photo, stage); a
/// claim takes a lease and counts the attempt; completion writes the stage's result, marks the job done and
/// queues the next stages in one transaction, and only while the lease is still held. After an unexpected stop with
/// several jobs in flight, those jobs are crash suspects: they run one at a time before anything else, so a photo
/// that kills the process is told apart from the innocent ones beside it (see migrations/0007_crash_suspects.sql).
/// </summary>
public sealed class JobQueue
{
    private readonly LibraryDatabase _database;
    private readonly StageCatalog _stages;
    private readonly JobSignals _signals;
    private readonly TimeProvider _time;
    private long _claims;

    // Set by start-up recovery while crash suspects are queued; cleared by the first claim that finds none left.
    private volatile bool _suspectsFirst;

    public JobQueue(LibraryDatabase database, StageCatalog stages, JobSignals signals, TimeProvider time)
    {
        _database = database;
        _stages = stages;
        _signals = signals;
        _time = time;
    }

    private string Now => UtcText.From(_time.GetUtcNow());

    /// <summary>True while crash suspects run one at a time: other claims return nothing, and every finished suspect
    /// wakes every stage, so idle workers should wait for that pulse rather than for the next due job.</summary>
    public bool RunsCrashSuspectsAlone => _suspectsFirst;

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

    /// <summary>
    /// Start-up recovery. Only one daemon runs per database (see <see cref="DaemonInstanceLock"/>), so every
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

            return new RecoveryReport(released, quarantined, backfilled, (int)suspects);
        }, cancellationToken);

        _suspectsFirst = report.CrashSuspects > 0;
        PulseRunnable();
        return report;
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> jobs of a stage: newest photos first (three claims in four) or oldest
    /// first (the fourth), so new drops are quick and a backlog still drains. Jobs whose lease expired are claimable
    /// again. Returns an empty list when nothing is due.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(IPhotoStage stage, string workerId, int max, CancellationToken cancellationToken)
    {
        if (_suspectsFirst)
        {
            if (await ClaimCrashSuspectAsync(stage, workerId, cancellationToken) is { } suspect)
            {
                return suspect;
            }

            _suspectsFirst = false;
            PulseRunnable();
        }

        var newestFirst = stage.Policy.Order == ClaimOrder.NewestFirst && Interlocked.Increment(ref _claims) % 4 != 0;
        var order = newestFirst ? "DESC" : "ASC";
        return await _database.WriteAsync((connection, transaction) =>
        {
            var now = _time.GetUtcNow();
            var claimed = new List<ClaimedJob>();
            var candidates = connection.Query<(long Id, long PhotoId, long Attempts)>(
                $"""
                SELECT id, photo_id, attempts FROM jobs
                WHERE stage = @Stage
                  AND ((state = 'queued' AND not_before <= @Now) OR (state = 'running' AND lease_expires_at < @Now))
                ORDER BY photo_id {order}
                LIMIT @Max
                """,
                new { Stage = stage.Name, Now = UtcText.From(now), Max = Math.Max(1, max) },
                transaction).ToList();
            foreach (var job in candidates)
            {
                if (TryClaim(connection, transaction, stage, job, workerId, now) is { } taken)
                {
                    claimed.Add(taken);
                }
            }

            return claimed;
        }, cancellationToken);
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

    /// <summary>Takes one candidate job: its lease and its attempt, or a failure when it cannot run any more.</summary>
    private ClaimedJob? TryClaim(
        SqliteConnection connection, SqliteTransaction transaction, IPhotoStage stage, (long Id, long PhotoId, long Attempts) job, string workerId, DateTimeOffset now)
    {
        if (job.Attempts >= stage.Policy.MaxAttempts)
        {
            // Its lease expired on its last attempt: the worker holding it hung or the process died.
            FailInTransaction(connection, transaction, job.Id, job.PhotoId, stage.Name, (int)job.Attempts,
                $"gave up after {job.Attempts} attempts (the last one never finished)");
            return null;
        }

        var file = connection.QueryFirstOrDefault<(string Sha256, string? Path, long? Size, string? ModifiedAt)>(
            """
            SELECT p.sha256, f.path, f.size_bytes, f.modified_at
            FROM photos p
            LEFT JOIN files f ON f.id = (SELECT id FROM files WHERE photo_id = p.id AND status = 'present' ORDER BY id LIMIT 1)
            WHERE p.id = @PhotoId
            """,
            new { job.PhotoId },
            transaction);
        if (file.Path is null)
        {
            FailInTransaction(connection, transaction, job.Id, job.PhotoId, stage.Name, (int)job.Attempts,
                "every file holding this photo was deleted or replaced before this stage ran");
            return null;
        }

        var lease = stage.Policy.Lease > stage.Policy.TimeLimit ? stage.Policy.Lease : stage.Policy.TimeLimit + TimeSpan.FromSeconds(30);
        var token = $"{workerId}:{Guid.NewGuid():N}";
        connection.Execute(
            """
            UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = @Token,
                            lease_expires_at = @Expires, started_at = @Now
            WHERE id = @Id
            """,
            new { Token = token, Expires = UtcText.From(now + lease), Now = UtcText.From(now), job.Id },
            transaction);
        return new ClaimedJob(
            new PhotoJob(job.Id, job.PhotoId, stage.Name, file.Sha256, file.Path, (int)job.Attempts + 1, file.Size, file.ModifiedAt),
            token);
    }

    /// <summary>Claims one job (see the batch overload); null when nothing is due.</summary>
    public async Task<ClaimedJob?> ClaimAsync(IPhotoStage stage, string workerId, CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(stage, workerId, 1, cancellationToken);
        return claimed.Count > 0 ? claimed[0] : null;
    }

    /// <summary>
    /// Writes each stage result, marks its job done and queues what becomes ready, all in one transaction. A job
    /// whose lease was lost (it timed out and another worker took it) writes nothing. A result whose Persist finds it
    /// outdated (<see cref="OutdatedResultException"/>) is rolled back to its own savepoint and its job queued again
    /// at once, its attempt refunded, while the rest of the batch commits.
    /// </summary>
    public async Task<IReadOnlyList<JobCommit>> CompleteAsync(
        IReadOnlyList<(ClaimedJob Claimed, Action<SqliteConnection, SqliteTransaction> Persist)> results, CancellationToken cancellationToken)
    {
        var next = new HashSet<string>(StringComparer.Ordinal);
        var commits = await _database.WriteAsync((connection, transaction) =>
        {
            next.Clear();
            var outcomes = new List<JobCommit>(results.Count);
            const string savepoint = "stage_result";
            foreach (var (claimed, persist) in results)
            {
                transaction.Save(savepoint);
                try
                {
                    var updated = connection.Execute(
                        """
                        UPDATE jobs SET state = 'done', finished_at = @Now, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
                                        crash_suspect = 0
                        WHERE id = @Id AND state = 'running' AND lease_owner = @Token
                        """,
                        new { Now, Id = claimed.Job.JobId, claimed.Token },
                        transaction);
                    if (updated == 0)
                    {
                        outcomes.Add(new JobCommit(claimed, CommitOutcome.LeaseLost));
                        continue;
                    }

                    persist(connection, transaction);
                    next.UnionWith(EnqueueReadyStages(connection, transaction, claimed.Job.PhotoId));
                    outcomes.Add(new JobCommit(claimed, CommitOutcome.Committed));
                }
                catch (OutdatedResultException e)
                {
                    transaction.Rollback(savepoint); // this job's rows only: it is 'running' under our lease again
                    Requeue(connection, transaction, claimed.Job.JobId, TimeSpan.Zero, e.Message);
                    outcomes.Add(new JobCommit(claimed, CommitOutcome.Outdated, e.Message));
                    next.Add(claimed.Job.Stage);
                }
                finally
                {
                    transaction.Release(savepoint);
                }
            }

            return outcomes;
        }, cancellationToken);

        foreach (var stage in next)
        {
            _signals.Pulse(stage);
        }

        PulseRunnableWhileSuspectsRunAlone();
        return commits;
    }

    /// <summary>Completes one job (see the batch overload); false when nothing was committed.</summary>
    public async Task<bool> CompleteAsync(
        ClaimedJob claimed, Action<SqliteConnection, SqliteTransaction> persist, CancellationToken cancellationToken) =>
        (await CompleteAsync([(claimed, persist)], cancellationToken))[0].Outcome == CommitOutcome.Committed;

    /// <summary>Records a failed attempt under the default <see cref="RetryPolicy"/> with <paramref name="maxAttempts"/>.</summary>
    public Task FailAsync(ClaimedJob claimed, int maxAttempts, string error, bool permanent, CancellationToken cancellationToken) =>
        FailAsync(claimed, RetryPolicy.Default with { MaxAttempts = maxAttempts }, error, permanent, cancellationToken);

    /// <summary>
    /// Records a failed attempt. Permanent failures (rejections), and others on the last attempt, end as 'failed' with
    /// the error; the rest go back to the queue, due after <see cref="RetryPolicy.AfterFailure"/>.
    /// </summary>
    public async Task FailAsync(ClaimedJob claimed, RetryPolicy retry, string error, bool permanent, CancellationToken cancellationToken)
    {
        await _database.WriteAsync((connection, transaction) =>
        {
            if (!StillHeld(connection, transaction, claimed))
            {
                return;
            }

            var job = claimed.Job;
            if (permanent || job.Attempt >= retry.MaxAttempts)
            {
                FailInTransaction(connection, transaction, job.JobId, job.PhotoId, job.Stage, job.Attempt, error);
                return;
            }

            var backoff = retry.AfterFailure(job.Attempt);
            RecordError(connection, transaction, job.JobId, job.PhotoId, job.Stage, job.Attempt, error);
            connection.Execute(
                """
                UPDATE jobs SET state = 'queued', not_before = @NotBefore, lease_owner = NULL, lease_expires_at = NULL, last_error = @Error,
                                crash_suspect = 0
                WHERE id = @Id
                """,
                new { NotBefore = UtcText.From(_time.GetUtcNow() + backoff), Error = error, Id = job.JobId },
                transaction);
        }, cancellationToken);
        PulseRunnableWhileSuspectsRunAlone();
    }

    /// <summary>Returns the job to the queue without counting the attempt: it was not the photo's fault.</summary>
    public async Task PostponeAsync(ClaimedJob claimed, TimeSpan delay, string reason, CancellationToken cancellationToken)
    {
        await _database.WriteAsync((connection, transaction) =>
        {
            if (!StillHeld(connection, transaction, claimed))
            {
                return;
            }

            Requeue(connection, transaction, claimed.Job.JobId, delay, reason);
        }, cancellationToken);
        if (delay <= TimeSpan.Zero)
        {
            _signals.Pulse(claimed.Job.Stage);
        }

        PulseRunnableWhileSuspectsRunAlone();
    }

    /// <summary>The state of one photo's job at a stage ("queued", "running", "done", "failed"), null when it has none.</summary>
    public static string? StateOf(SqliteConnection connection, long photoId, string stage, SqliteTransaction? transaction = null) =>
        connection.ExecuteScalar<string?>("SELECT state FROM jobs WHERE photo_id = @photoId AND stage = @stage", new { photoId, stage }, transaction);

    /// <summary>When the next queued job of a stage becomes due (null when none is queued).</summary>
    public DateTimeOffset? NextDue(string stage)
    {
        using var connection = _database.Open();
        var text = connection.ExecuteScalar<string?>(
            "SELECT min(not_before) FROM jobs WHERE stage = @Stage AND state = 'queued'", new { Stage = stage });
        return text is null ? null : UtcText.Parse(text);
    }

    private void PulseRunnable()
    {
        foreach (var stage in _stages.Runnable)
        {
            _signals.Pulse(stage.Name);
        }
    }

    // A suspect has finished running alone: the next one may be any stage's.
    private void PulseRunnableWhileSuspectsRunAlone()
    {
        if (_suspectsFirst)
        {
            PulseRunnable();
        }
    }

    private static bool StillHeld(SqliteConnection connection, SqliteTransaction transaction, ClaimedJob claimed) =>
        connection.ExecuteScalar<long>(
            "SELECT count(*) FROM jobs WHERE id = @JobId AND state = 'running' AND lease_owner = @Token",
            new { claimed.Job.JobId, claimed.Token }, transaction) == 1;

    /// <summary>Back to the queue, due after <paramref name="delay"/>, with the attempt its claim counted refunded.</summary>
    private void Requeue(SqliteConnection connection, SqliteTransaction transaction, long jobId, TimeSpan delay, string reason) =>
        connection.Execute(
            """
            UPDATE jobs SET state = 'queued', attempts = max(attempts - 1, 0), not_before = @NotBefore,
                            lease_owner = NULL, lease_expires_at = NULL, last_error = @Reason, crash_suspect = 0
            WHERE id = @Id
            """,
            new { NotBefore = UtcText.From(_time.GetUtcNow() + delay), Reason = reason, Id = jobId },
            transaction);

    private void FailInTransaction(
        SqliteConnection connection, SqliteTransaction transaction, long jobId, long photoId, string stage, int attempt, string error)
    {
        RecordError(connection, transaction, jobId, photoId, stage, attempt, error);
        connection.Execute(
            """
            UPDATE jobs SET state = 'failed', finished_at = @Now, lease_owner = NULL, lease_expires_at = NULL, last_error = @Error,
                            crash_suspect = 0
            WHERE id = @Id
            """,
            new { Now, Error = error, Id = jobId },
            transaction);
    }

    private void RecordError(
        SqliteConnection connection, SqliteTransaction transaction, long jobId, long photoId, string stage, int attempt, string error) =>
        connection.Execute(
            """
            INSERT INTO job_errors (job_id, photo_id, stage, attempt, error, occurred_at)
            VALUES (@JobId, @PhotoId, @Stage, @Attempt, @Error, @Now)
            """,
            new { JobId = jobId, PhotoId = photoId, Stage = stage, Attempt = attempt, Error = error, Now },
            transaction);
}

/// <summary>A job this worker holds, with the lease token that proves it.</summary>
public sealed record ClaimedJob(PhotoJob Job, string Token);

/// <param name="CrashSuspects">Jobs that were in flight when the process died, now run one at a time first.</param>
public sealed record RecoveryReport(int ReturnedToQueue, int Quarantined, int Backfilled, int CrashSuspects);
