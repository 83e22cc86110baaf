using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Health;

/// <summary>
/// A server that accepts connections and never answers is down ("unresponsive"), not starting: a loading llama-server
/// answers 503 at once. The exceptions are the first load of a supervised process (some servers block requests while
/// loading) and the grace after one missed check.
/// </summary>
public sealed class UnresponsiveHealthRulesTests
{
    private static readonly TimeSpan Expected = TimeSpan.FromMinutes(3);
    private static readonly EndpointProbe Silent = new(EndpointAnswer.Unresponsive, "GET /health got no answer within 2 s");

    [Fact]
    public void An_unsupervised_endpoint_that_never_answers_is_down_as_unresponsive()
    {
        var verdict = TierHealthRules.Evaluate(new TierObservation("quick", true, null, Silent), DateTimeOffset.UtcNow);

        Assert.Equal(TierHealthState.Down, verdict.State);
        Assert.StartsWith("unresponsive:", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("no answer within 2 s", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ready_supervised_server_that_stops_answering_is_ready_for_the_grace_then_down_as_unresponsive()
    {
        var clock = new ManualClock();
        var ready = Process(ServerPhase.Ready, clock.GetUtcNow());

        var justNow = TierHealthRules.Evaluate(new TierObservation("quick", true, ready, Silent) { NotAnsweringFor = TimeSpan.FromSeconds(2) }, clock.GetUtcNow());
        var later = TierHealthRules.Evaluate(new TierObservation("quick", true, ready, Silent) { NotAnsweringFor = TierHealthRules.AnswerGrace }, clock.GetUtcNow());

        Assert.Equal(TierHealthState.Ready, justNow.State);
        Assert.Equal(TierHealthState.Down, later.State);
        Assert.StartsWith("unresponsive: pid 4242", later.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_supervised_server_silent_during_its_first_load_is_starting_then_degraded_never_down()
    {
        var clock = new ManualClock();
        var loading = Process(ServerPhase.Loading, clock.GetUtcNow());

        clock.Advance(TimeSpan.FromSeconds(30));
        var early = TierHealthRules.Evaluate(new TierObservation("quick", true, loading, Silent), clock.GetUtcNow());
        clock.Advance(Expected);
        var late = TierHealthRules.Evaluate(new TierObservation("quick", true, loading, Silent), clock.GetUtcNow());

        Assert.Equal(TierHealthState.Starting, early.State);
        Assert.Contains("no answer within 2 s", early.Detail, StringComparison.Ordinal);
        Assert.Equal(TierHealthState.Degraded, late.State);
    }

    [Fact]
    public void An_open_circuit_says_which_failure_opened_it()
    {
        var observation = new TierObservation("quick", true, null, new EndpointProbe(EndpointAnswer.Ok, "/health ok"))
        {
            WarmedUp = true,
            CircuitOpen = true,
            CircuitProblem = "response body exceeded the 4,194,304-byte cap; stopped reading",
        };

        var verdict = TierHealthRules.Evaluate(observation, DateTimeOffset.UtcNow);

        Assert.Equal(TierHealthState.Degraded, verdict.State);
        Assert.Contains("circuit open", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("4,194,304-byte cap", verdict.Detail, StringComparison.Ordinal);
    }

    private static ServerSnapshot Process(ServerPhase phase, DateTimeOffset startedAt) =>
        new("quick", phase, 4242, true, startedAt, 0, null, null, null, Expected, null);
}
