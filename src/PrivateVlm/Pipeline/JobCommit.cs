namespace PrivateVlm.Pipeline;

/// <summary>What became of a finished job when the queue committed the batch it was in.</summary>
public enum CommitOutcome
{
    /// <summary>Its result is stored and the job is done.</summary>
    Committed,

    /// <summary>Its lease had expired and another worker took the job: nothing of it was written.</summary>
    LeaseLost,

    /// <summary>Its result no longer held at commit (<see cref="OutdatedResultException"/>): queued to run again.</summary>
    Outdated,
}

public sealed record JobCommit(ClaimedJob Claimed, CommitOutcome Outcome, string? Reason = null);
