namespace PrivateVlm.Pipeline;

public enum ClaimOrder
{
    /// <summary>Newest photos first, with every fourth claim taking the oldest so a backlog still drains.</summary>
    NewestFirst,
    OldestFirst,
}

/// <param name="Concurrency">Workers claiming jobs of this stage at once.</param>
/// <param name="Lease">How long a claim holds before another worker (or a restart) may take the job back.</param>
/// <param name="TimeLimit">Per-photo limit on <see cref="IPhotoStage.RunAsync"/>; past it the attempt fails.</param>
/// <param name="BatchSize">Jobs claimed, and results committed, per transaction. Millisecond stages (L0) batch so
/// the database is not the bottleneck; model stages keep 1 so each result is durable as soon as it exists.</param>
public sealed record StagePolicy(
    int Concurrency,
    TimeSpan Lease,
    TimeSpan TimeLimit,
    ClaimOrder Order = ClaimOrder.NewestFirst,
    int BatchSize = 1)
{
    public static StagePolicy Default { get; } = new(
        Concurrency: 1, Lease: TimeSpan.FromMinutes(2), TimeLimit: TimeSpan.FromSeconds(30));

    /// <summary>What happens to a job that did not succeed: <see cref="RetryPolicy.Default"/> unless the stage says otherwise.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>Attempts (counted at claim time) before the photo is marked failed for this stage (<see cref="RetryPolicy.MaxAttempts"/>).</summary>
    public int MaxAttempts
    {
        get => Retry.MaxAttempts;
        init => Retry = Retry with { MaxAttempts = value };
    }
}
