using System.Collections.Concurrent;
using Polly.CircuitBreaker;

namespace PrivateVlm.Vlm.Resilience;

/// <summary>The circuit of one tier's endpoint as health reporting sees it.</summary>
/// <param name="PausedUntil">While open: when the break ends and the next call is let through to test the server.</param>
/// <param name="Problem">While open: the failure that opened it.</param>
/// <param name="Openings">How many times it has opened since the daemon started.</param>
/// <param name="Closings">How many times it has closed again after a successful test call.</param>
public sealed record EndpointCircuit(
    string Tier, Uri Endpoint, CircuitState State, DateTimeOffset? PausedUntil = null, string? Problem = null, int Openings = 0, int Closings = 0);

/// <summary>
/// Every endpoint's circuit breaker state (closed, open, half-open, isolated), readable at any time for
/// `status`/`health` and used by routing to avoid endpoints whose circuit is pausing calls.
/// Polly keeps a circuit "open" after its break until a call arrives to test the server; <see cref="IsPaused"/>
/// tells that apart from a circuit that is really refusing calls, so an idle tier whose server recovered is not
/// reported as failing for ever.
/// </summary>
public sealed class EndpointCircuits(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Tier, Uri Endpoint), CircuitBreakerStateProvider> _providers = new();
    private readonly ConcurrentDictionary<(string Tier, Uri Endpoint), Transitions> _transitions = new();

    public EndpointCircuits()
        : this(TimeProvider.System)
    {
    }

    public CircuitBreakerStateProvider ProviderFor(string tier, Uri endpoint) =>
        _providers.GetOrAdd((tier, endpoint), _ => new CircuitBreakerStateProvider());

    /// <summary>Closed until the endpoint has been called and failed often enough.</summary>
    public CircuitState StateOf(string tier, Uri endpoint) =>
        _providers.TryGetValue((tier, endpoint), out var provider) ? provider.CircuitState : CircuitState.Closed;

    /// <summary>True while calls to the endpoint are refused without being sent: isolated, or open and within its break.</summary>
    public bool IsPaused(string tier, Uri endpoint) => StateOf(tier, endpoint) switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => !_transitions.TryGetValue((tier, endpoint), out var t) || t.PausedUntil is not { } until || time.GetUtcNow() < until,
        _ => false,
    };

    /// <summary>Called by the breaker when it opens.</summary>
    public void Opened(string tier, Uri endpoint, TimeSpan breakDuration, string? problem)
    {
        var transitions = _transitions.GetOrAdd((tier, endpoint), _ => new Transitions());
        lock (transitions)
        {
            transitions.PausedUntil = time.GetUtcNow() + breakDuration;
            transitions.Problem = problem;
            transitions.Openings++;
        }
    }

    /// <summary>Called by the breaker when a test call succeeded and it closed.</summary>
    public void Closed(string tier, Uri endpoint)
    {
        var transitions = _transitions.GetOrAdd((tier, endpoint), _ => new Transitions());
        lock (transitions)
        {
            transitions.PausedUntil = null;
            transitions.Problem = null;
            transitions.Closings++;
        }
    }

    public EndpointCircuit Describe(string tier, Uri endpoint)
    {
        var state = StateOf(tier, endpoint);
        if (!_transitions.TryGetValue((tier, endpoint), out var transitions))
        {
            return new EndpointCircuit(tier, endpoint, state);
        }

        lock (transitions)
        {
            var open = state is CircuitState.Open or CircuitState.HalfOpen or CircuitState.Isolated;
            return new EndpointCircuit(tier, endpoint, state, open ? transitions.PausedUntil : null, open ? transitions.Problem : null,
                transitions.Openings, transitions.Closings);
        }
    }

    public IReadOnlyList<EndpointCircuit> Snapshot() =>
        _providers.Keys
            .Select(k => Describe(k.Tier, k.Endpoint))
            .OrderBy(c => c.Tier, StringComparer.Ordinal).ThenBy(c => c.Endpoint.ToString(), StringComparer.Ordinal)
            .ToList();

    private sealed class Transitions
    {
        public DateTimeOffset? PausedUntil { get; set; }

        public string? Problem { get; set; }

        public int Openings { get; set; }

        public int Closings { get; set; }
    }
}
