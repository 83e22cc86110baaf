using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

// Failed and postponed attempts: what RetryPolicy decided, written under the lease.
public sealed partial class JobQueue
{
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

    private static bool StillHeld(SqliteConnection connection, SqliteTransaction transaction, ClaimedJob claimed) =>
        connection.ExecuteScalar<long>(
            "SELECT count(*) FROM jobs WHERE id = @JobId AND state = 'running' AND lease_owner = @Token",
            new { claimed.Job.JobId, claimed.Token }, transaction) == 1;
}
