using System.Collections.Concurrent;
using Polly.CircuitBreaker;

namespace PrivateVlm.Vlm.Resilience;

/// <summary>The circuit of one tier's endpoint as health reporting sees it.</summary>
public sealed record EndpointCircuit(string Tier, Uri Endpoint, CircuitState State);

/// <summary>
/// Every endpoint's circuit breaker state (closed, open, half-open, isolated), readable at any time for
/// `status`/`health` and used by routing to avoid endpoints whose circuit is open.
/// </summary>
public sealed class EndpointCircuits
{
    private readonly ConcurrentDictionary<(string Tier, Uri Endpoint), CircuitBreakerStateProvider> _providers = new();

    public CircuitBreakerStateProvider ProviderFor(string tier, Uri endpoint) =>
        _providers.GetOrAdd((tier, endpoint), _ => new CircuitBreakerStateProvider());

    /// <summary>Closed until the endpoint has been called and failed often enough.</summary>
    public CircuitState StateOf(string tier, Uri endpoint) =>
        _providers.TryGetValue((tier, endpoint), out var provider) ? provider.CircuitState : CircuitState.Closed;

    public IReadOnlyList<EndpointCircuit> Snapshot() =>
        _providers.Keys
            .Select(k => new EndpointCircuit(k.Tier, k.Endpoint, StateOf(k.Tier, k.Endpoint)))
            .OrderBy(c => c.Tier, StringComparer.Ordinal).ThenBy(c => c.Endpoint.ToString(), StringComparer.Ordinal)
            .ToList();
}
