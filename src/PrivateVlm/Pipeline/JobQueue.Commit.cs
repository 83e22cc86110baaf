using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

// Committing stage results: result, job state and the next stages' jobs in one transaction, under the lease.
public sealed partial class JobQueue
{
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
}
