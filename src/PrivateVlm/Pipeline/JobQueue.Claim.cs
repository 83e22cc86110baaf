using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

// Claiming due jobs: a lease and a counted attempt per job.
public sealed partial class JobQueue
{
    private long _claims;

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
}
