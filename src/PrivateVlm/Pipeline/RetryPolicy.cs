namespace PrivateVlm.Pipeline;

/// <summary>
/// What happens to a job that did not succeed, and after how long, per outcome. Every stage gets
/// <see cref="Default"/>; a stage declares only what differs (<see cref="StagePolicy.Retry"/>).
/// <list type="bullet">
/// <item><b>Failed</b> (the stage threw, or ran past its time limit): the attempt counts; the job is due again after
/// <see cref="AfterFailure"/> (2 s doubling per attempt, at most 10 min, plus up to 25 % jitter) until
/// <see cref="MaxAttempts"/> (3) is reached, then the photo is 'failed' for the stage with its error.</item>
/// <item><b>Rejected</b> (<see cref="PhotoRejectedException"/>, <see cref="StageOutcome.Rejected"/>: the photo itself
/// cannot go through): 'failed' at once, no retry.</item>
/// <item><b>Postponed for the machine</b> (<see cref="NotAvailableHereException"/>: a library or decoder this machine
/// lacks, loaded once per process): the attempt is refunded and the job is due again after
/// <see cref="MachineProblemDelay"/> (1 h), and at the next start at the latest.</item>
/// <item><b>Postponed for configuration</b> (a model server's unknown model, refused egress; an installed CLIP model
/// that cannot be opened): refunded, due again after <see cref="ConfigurationProblemDelay"/> (5 min; the embedding
/// stage 30 min), with an error saying what to fix.</item>
/// <item><b>Postponed for the model server</b> (down, loading, crashed, circuit open): refunded, due again after
/// half of how long the outage has lasted, from <see cref="ServerOutageFirstDelay"/> (1 s) to
/// <see cref="ServerOutageDelayCap"/> (1 min), plus up to 20 % jitter (<see cref="PostponementBackoff"/>).</item>
/// <item><b>Postponed for the file</b> (changed since it was identified, or gone while read): refunded, due again after
/// <see cref="ChangedFileRecheck"/> (2 s), by when the ingest has identified the new content.</item>
/// <item><b>Postponed for a near-duplicate's representative</b> (its own job at this stage is queued or running):
/// refunded, due again after <see cref="RepresentativeWait"/> (2 s; the deep tier 15 s).</item>
/// <item><b>Crash suspect</b> (in flight when the process died): back in the queue at start-up, to run one at a time
/// before anything else. A job that was alone in flight keeps the attempt its claim counted and is quarantined
/// ('failed') when that was its last; jobs in flight together get it back, since nobody knows which one it was.</item>
/// </list>
/// Not here: <c>Vlm/Resilience/TierResilience</c> retries one HTTP request to a model server inside a single attempt
/// (seconds, within the stage's time limit, driven by the server's answer). It is a different layer: what it gives
/// up on reaches this policy as a postponement for the model server.
/// </summary>
public sealed record RetryPolicy
{
    public static RetryPolicy Default { get; } = new();

    /// <summary>Attempts (counted at claim time) before the photo is marked failed for the stage.</summary>
    public int MaxAttempts { get; init; } = 3;

    public TimeSpan FailureBackoffFirst { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan FailureBackoffCap { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan MachineProblemDelay { get; init; } = TimeSpan.FromHours(1);

    public TimeSpan ConfigurationProblemDelay { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan ServerOutageFirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ServerOutageDelayCap { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Long enough for the stability window and the new content's hash to land, short enough not to be noticed.</summary>
    public TimeSpan ChangedFileRecheck { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RepresentativeWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>When a failed attempt's job is due again: exponential in the attempt, capped, with jitter so photos
    /// that failed together do not come back together.</summary>
    public TimeSpan AfterFailure(int attempt)
    {
        var backoff = FailureBackoffFirst * Math.Pow(2, attempt - 1);
        backoff = backoff > FailureBackoffCap ? FailureBackoffCap : backoff;
        return backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(backoff.TotalMilliseconds / 4) + 1));
    }
}
