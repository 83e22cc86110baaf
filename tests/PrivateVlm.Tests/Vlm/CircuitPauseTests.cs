using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Tests.Vlm;

/// <summary>
/// Polly leaves a circuit "open" after its break until a call arrives to test the server. Health and routing must
/// tell that from a circuit that is still refusing calls, or an idle tier whose server recovered would look broken
/// until the next photo.
/// </summary>
public sealed class CircuitPauseTests
{
    private static readonly Uri Endpoint = new("http://127.0.0.1:9/");

    [Fact]
    public async Task An_open_circuit_pauses_calls_for_its_break_then_lets_the_next_one_test_the_server()
    {
        var clock = new ManualClock();
        var circuits = new EndpointCircuits(clock);
        var options = TierOptions.QuickDefaults with
        {
            Timeout = TimeSpan.FromSeconds(5),
            Resilience = new ResilienceOptions { BreakerMinimumThroughput = 2, BreakDuration = TimeSpan.FromSeconds(10) },
        };
        using var resilience = new TierResilience("quick", options, circuits, clock, NullLogger.Instance);
        var pipeline = resilience.ForEndpoint(Endpoint);
        var refused = new ModelServerException(ModelServerFailure.ConnectionRefused, Endpoint, "connection refused");

        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<ModelServerException>(async () => await pipeline.ExecuteAsync<int>(_ => throw refused));
        }

        Assert.Equal(CircuitState.Open, circuits.StateOf("quick", Endpoint));
        Assert.True(circuits.IsPaused("quick", Endpoint));
        var open = circuits.Describe("quick", Endpoint);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromSeconds(10), open.PausedUntil);
        Assert.Contains("connection refused", open.Problem, StringComparison.Ordinal);
        Assert.Equal(1, open.Openings);

        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(CircuitState.Open, circuits.StateOf("quick", Endpoint)); // Polly's view until a call arrives
        Assert.False(circuits.IsPaused("quick", Endpoint));

        Assert.Equal(1, await pipeline.ExecuteAsync(_ => ValueTask.FromResult(1)));
        var closed = circuits.Describe("quick", Endpoint);
        Assert.Equal(CircuitState.Closed, closed.State);
        Assert.Null(closed.Problem);
        Assert.Equal(1, closed.Closings);
    }
}
