using PrivateVlm.Pipeline;
using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.Vlm.Stages;

/// <summary>Workers, attempts and time limits of the VLM stages, derived from the tier settings.</summary>
public static class VisionStagePolicy
{
    /// <summary>
    /// The stage's time limit must cover its worst case, or the queue would count a healthy slow run as a failure:
    /// preparing the image twice (a retry at a smaller size) plus two tier calls (the one retry after unusable
    /// output or exceeded context), each of which may run every transient retry to its per-attempt timeout.
    /// </summary>
    public static TimeSpan WorstCase(TierOptions tier, TimeSpan imagingLimit)
    {
        var r = tier.Resilience;
        var oneCall = tier.Timeout * (r.RetryAttempts + 1) + r.RetryMaxDelay * r.RetryAttempts;
        return imagingLimit * 2 + oneCall * 2;
    }

    /// <summary>The policy of the tier's stage: <see cref="For(TierOptions, int, TimeSpan)"/> and how long a near-duplicate waits for its representative.</summary>
    public static StagePolicy For(string stage, TierOptions tier, int concurrency, TimeSpan imagingLimit) =>
        For(tier, concurrency, imagingLimit) with
        {
            // A deep description takes far longer than a quick one: a member waiting for its representative looks less often.
            Retry = stage == StageGraph.Deep ? RetryPolicy.Default with { RepresentativeWait = TimeSpan.FromSeconds(15) } : RetryPolicy.Default,
        };

    public static StagePolicy For(TierOptions tier, int concurrency, TimeSpan imagingLimit)
    {
        var limit = WorstCase(tier, imagingLimit) + TimeSpan.FromSeconds(10);
        // Unusable output and exceeded context are handled inside one run; attempts count crashes and hangs of the
        // run itself (postponements are refunded), so the default three is plenty.
        return new StagePolicy(
            Concurrency: Math.Max(1, concurrency),
            Lease: limit + TimeSpan.FromSeconds(30),
            TimeLimit: limit);
    }

    /// <summary>
    /// Workers per tier. Each worker has one request in flight and the tier's router never lets more than Concurrency
    /// (the server's slots) per endpoint through, so a tier gets its slots times its endpoints, plus one worker that
    /// prepares the next photo's JPEG while every slot is busy and waits in the router: a slot is refilled the moment
    /// it frees instead of after a claim, a decode and an encode.
    /// When the deep tier shares an endpoint with the quick tier, it uses at most quick.Concurrency - 1 of that
    /// server's slots (at least one) and gets no extra worker, so a newly dropped photo's quick pass always finds a
    /// free slot instead of queuing behind a deep backlog inside the server.
    /// </summary>
    public static (int Quick, int Deep) Concurrency(TierOptions quick, TierOptions deep, bool quickEnabled)
    {
        var quickEndpoints = SafeEndpoints(quick);
        var deepEndpoints = SafeEndpoints(deep);
        var quickWorkers = Math.Max(1, quick.Concurrency) * Math.Max(1, quickEndpoints.Count) + 1;
        var shared = quickEnabled && deepEndpoints.Any(quickEndpoints.Contains);
        var deepWorkers = deepEndpoints.Sum(e => quickEnabled && quickEndpoints.Contains(e)
            ? Math.Max(1, Math.Min(deep.Concurrency, quick.Concurrency - 1))
            : Math.Max(1, deep.Concurrency));
        return (quickWorkers, Math.Max(1, deepWorkers) + (shared ? 0 : 1));
    }

    private static IReadOnlyList<Uri> SafeEndpoints(TierOptions tier)
    {
        try
        {
            return tier.EndpointUris();
        }
        catch (InvalidOperationException)
        {
            return []; // the tier reports the bad URL itself
        }
    }
}
