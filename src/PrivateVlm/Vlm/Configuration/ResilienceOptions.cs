namespace PrivateVlm.Vlm.Configuration;

/// <summary>Retry and circuit-breaker settings of one tier (Tiers:Quick:Resilience ...).</summary>
public sealed record ResilienceOptions
{
    /// <summary>Retries after the first attempt for transient failures (0 = none). With the default delays a server
    /// that is starting gets ~15 s before the photo is postponed.</summary>
    public int RetryAttempts { get; init; } = 4;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Open the circuit when at least this share of calls failed transiently within the sampling window.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    public int BreakerMinimumThroughput { get; init; } = 4;

    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before letting one through (Polly requires at least 0.5 s).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(15);
}
