using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

/// <summary>
/// The durable job queue (all SQL on the jobs and job_errors tables lives in its files). One row per (photo, stage); a
/// claim takes a lease and counts the attempt; completion writes the stage's result, marks the job done and queues the
/// next stages in one transaction, and only while the lease is still held. Split by what happens to a job: queued (JobQueue.Enqueue), claimed under a lease (JobQueue.Claim), its result
/// committed (JobQueue.Commit), failed or postponed (JobQueue.Failure), recovered after a crash (JobQueue.CrashRecovery),
/// and queued for stages that became runnable (JobQueue.Backfill). This file holds what they share.
/// </summary>
public sealed partial class JobQueue
{
    private readonly LibraryDatabase _database;
    private readonly StageCatalog _stages;
    private readonly JobSignals _signals;
    private readonly TimeProvider _time;

    public JobQueue(LibraryDatabase database, StageCatalog stages, JobSignals signals, TimeProvider time)
    {
        _database = database;
        _stages = stages;
        _signals = signals;
        _time = time;
    }

    private string Now => UtcText.From(_time.GetUtcNow());

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
}

/// <summary>A job this worker holds, with the lease token that proves it.</summary>
public sealed record ClaimedJob(PhotoJob Job, string Token);
