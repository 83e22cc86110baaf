using PrivateVlm.ModelServers;

using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.Health;

/// <summary>
/// Everything health knows about one tier at one instant; <see cref="TierHealthRules.Evaluate"/> turns it into a
/// state without doing any I/O, so the rules are tested with plain values and a fake clock.
/// </summary>
/// <param name="Enabled">See <see cref="TierEnablement"/>.</param>
/// <param name="Server">The supervised process, or null when the daemon does not run this tier's server.</param>
/// <param name="Endpoint">What GET /health on the tier's first endpoint answered just now.</param>
/// <param name="WarmedUp">Unsupervised tiers: whether a warm-up completion succeeded since the endpoint last came
/// up (a supervised server's readiness is its <see cref="ServerPhase.Ready"/>).</param>
/// <param name="WarmUpProblem">Why the last warm-up failed, if it did.</param>
/// <param name="SlotsFull">llama-server's /slots?fail_on_no_slot=1 said 503 (null: not known).</param>
/// <param name="CircuitOpen">The tier's circuit breaker to this endpoint is open after repeated failures and still
/// pausing calls (once its break is over the next call tests the server, so it no longer counts).</param>
/// <param name="CircuitProblem">The failure that opened the circuit.</param>
/// <param name="LoadingFor">Unsupervised tiers: how long the endpoint has been answering "loading" (503).</param>
/// <param name="ExpectedStartTime">Unsupervised tiers: how long loading may take before it counts as degraded.</param>
/// <param name="NotAnsweringFor">How long the endpoint of a supervised, ready server has failed its health checks
/// (null while it answers).</param>
/// <param name="Pool">A tier with several endpoints: each one's own observation (this record's other fields are the
/// first endpoint's); null for a single endpoint.</param>
public sealed record TierObservation(
    string Tier,
    bool Enabled,
    ServerSnapshot? Server,
    EndpointProbe Endpoint,
    bool WarmedUp = false,
    string? WarmUpProblem = null,
    bool? SlotsFull = null,
    bool CircuitOpen = false,
    string? CircuitProblem = null,
    string? DisabledReason = null,
    TimeSpan? NotAnsweringFor = null,
    TimeSpan? LoadingFor = null,
    TimeSpan? ExpectedStartTime = null,
    IReadOnlyList<EndpointObservation>? Pool = null);

/// <summary>One endpoint of a tier's pool and what was observed there.</summary>
public sealed record EndpointObservation(Uri Endpoint, TierObservation Observation);

/// <summary>The verdict: state plus a sentence a user can act on.</summary>
public sealed record TierVerdict(TierHealthState State, string Detail);
