namespace PrivateVlm.Pipeline;

/// <summary>
/// One step a photo goes through (L0 metadata, L1 embedding, L1.5 quick VLM, L2 deep VLM).
/// Stages are registered in DI; the queue creates a job for a stage once every prerequisite is done for that photo,
/// and only for stages that report <see cref="IsConfigured"/> (a missing model never blocks the tiers before it).
/// </summary>
public interface IPhotoStage
{
    /// <summary>Stable name stored in the jobs table: one of <see cref="StageGraph"/>'s.</summary>
    string Name { get; }

    /// <summary>Stages that must be done for a photo before this one is queued for it (<see cref="StageGraph.PrerequisitesOf"/>).</summary>
    IReadOnlyList<string> Prerequisites { get; }

    /// <summary>How many workers, attempts, lease and time limit this stage gets.</summary>
    StagePolicy Policy { get; }

    /// <summary>False when the stage cannot run here (no model installed, tier disabled): no jobs are created and
    /// `status`/`doctor` show <see cref="NotConfiguredReason"/>.</summary>
    bool IsConfigured { get; }

    string? NotConfiguredReason { get; }

    /// <summary>
    /// Does the slow work outside any database transaction and returns what to persist. Throwing means a transient
    /// failure: the job is retried with backoff until <see cref="StagePolicy.MaxAttempts"/> is reached.
    /// </summary>
    Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken);
}
