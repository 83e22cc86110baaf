using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Health;

/// <summary>The health state machine over observations and time (a hand-moved clock), one row per rule.</summary>
public sealed class TierHealthRulesTests
{
    private static readonly TimeSpan Expected = TimeSpan.FromMinutes(3);

    private static readonly EndpointProbe Refused = new(EndpointAnswer.Refused, "connection refused");
    private static readonly EndpointProbe Loading = new(EndpointAnswer.Loading, "/health 503 Loading model");
    private static readonly EndpointProbe Ok = new(EndpointAnswer.Ok, "/health ok");
    private static readonly EndpointProbe Failing = new(EndpointAnswer.Failing, "/health answered HTTP 500");

    public static TheoryData<string, TierHealthState> Cases() => new()
    {
        { "alive, refusing, 10 s after start", TierHealthState.Starting },
        { "alive, refusing, just within expected start", TierHealthState.Starting },
        { "alive, 503 loading, 1 min after start", TierHealthState.Starting },
        { "alive, health ok but warm-up not done yet", TierHealthState.Starting },
        { "alive, refusing, past expected start", TierHealthState.Degraded },
        { "alive, 503 loading, past expected start", TierHealthState.Degraded },
        { "not launched yet", TierHealthState.Starting },
        { "dead, restart pending", TierHealthState.Down },
        { "dead but supervisor has not noticed", TierHealthState.Down },
        { "ready", TierHealthState.Ready },
        { "ready, all slots busy", TierHealthState.Busy },
        { "ready, circuit open", TierHealthState.Degraded },
        { "ready, circuit open and slots busy", TierHealthState.Degraded },
        { "ready, alive, one health check failed just now", TierHealthState.Ready },
        { "ready once, alive, not answering past the grace", TierHealthState.Degraded },
        { "idle-stopped deep server", TierHealthState.Ready },
        { "unsupervised, refused", TierHealthState.Down },
        { "unsupervised, 503 loading", TierHealthState.Starting },
        { "unsupervised, 503 loading past the tier's expected start", TierHealthState.Degraded },
        { "unsupervised, 500", TierHealthState.Degraded },
        { "unsupervised, ok, warm-up pending", TierHealthState.Starting },
        { "unsupervised, ok, warm-up failed", TierHealthState.Degraded },
        { "unsupervised, ok, warmed up", TierHealthState.Ready },
        { "unsupervised, warmed up, slots busy", TierHealthState.Busy },
        { "unsupervised, warmed up, circuit open", TierHealthState.Degraded },
        { "unsupervised, endpoint not allowed", TierHealthState.Down },
        { "disabled", TierHealthState.Disabled },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_observation_maps_to_its_state(string situation, TierHealthState expected)
    {
        var clock = new ManualClock();
        var startedAt = clock.GetUtcNow();
        var (observation, after) = Situation(situation, startedAt);
        clock.Advance(after);

        var verdict = TierHealthRules.Evaluate(observation, clock.GetUtcNow());

        Assert.Equal(expected, verdict.State);
        Assert.False(string.IsNullOrWhiteSpace(verdict.Detail));
    }

    [Fact]
    public void A_loading_server_is_starting_at_every_instant_of_its_expected_start_time_and_degraded_after()
    {
        var clock = new ManualClock();
        var startedAt = clock.GetUtcNow();
        var states = new List<TierHealthState>();
        for (var second = 0; second <= 200; second++)
        {
            var probe = second < 60 ? Refused : Loading;
            var verdict = TierHealthRules.Evaluate(Observe(Process(ServerPhase.Loading, startedAt), probe), clock.GetUtcNow());
            states.Add(verdict.State);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.All(states.Take(181), s => Assert.Equal(TierHealthState.Starting, s));
        Assert.All(states.Skip(181), s => Assert.Equal(TierHealthState.Degraded, s));
    }

    [Fact]
    public void A_dead_server_says_when_it_restarts()
    {
        var clock = new ManualClock();
        var now = clock.GetUtcNow();
        var dead = Process(ServerPhase.Exited, now - TimeSpan.FromSeconds(30), alive: false) with
        {
            LastExitCode = 137, LastExitAt = now, NextStartAt = now + TimeSpan.FromSeconds(4), Restarts = 2, LastProblem = "exited with code 137",
        };

        var verdict = TierHealthRules.Evaluate(Observe(dead, Refused), now);

        Assert.Equal(TierHealthState.Down, verdict.State);
        Assert.Contains("137", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("restart 3 in 4 s", verdict.Detail, StringComparison.Ordinal);
    }

    private static (TierObservation Observation, TimeSpan After) Situation(string situation, DateTimeOffset startedAt)
    {
        var loading = Process(ServerPhase.Loading, startedAt);
        var ready = Process(ServerPhase.Ready, startedAt);
        return situation switch
        {
            "alive, refusing, 10 s after start" => (Observe(loading, Refused), TimeSpan.FromSeconds(10)),
            "alive, refusing, just within expected start" => (Observe(loading, Refused), Expected),
            "alive, 503 loading, 1 min after start" => (Observe(loading, Loading), TimeSpan.FromMinutes(1)),
            "alive, health ok but warm-up not done yet" => (Observe(loading, Ok), TimeSpan.FromSeconds(30)),
            "alive, refusing, past expected start" => (Observe(loading, Refused), Expected + TimeSpan.FromSeconds(1)),
            "alive, 503 loading, past expected start" => (Observe(loading, Loading), Expected + TimeSpan.FromMinutes(5)),
            "not launched yet" => (Observe(Process(ServerPhase.NotStarted, null, alive: false), Refused), TimeSpan.Zero),
            "dead, restart pending" => (Observe(Process(ServerPhase.Exited, startedAt, alive: false) with { LastExitCode = 1, NextStartAt = startedAt + TimeSpan.FromSeconds(5) }, Refused), TimeSpan.FromSeconds(1)),
            "dead but supervisor has not noticed" => (Observe(Process(ServerPhase.Ready, startedAt, alive: false), Refused), TimeSpan.FromMinutes(1)),
            "ready" => (Observe(ready, Ok) with { SlotsFull = false }, TimeSpan.FromMinutes(1)),
            "ready, all slots busy" => (Observe(ready, Ok) with { SlotsFull = true }, TimeSpan.FromMinutes(1)),
            "ready, circuit open" => (Observe(ready, Ok) with { CircuitOpen = true }, TimeSpan.FromMinutes(1)),
            "ready, circuit open and slots busy" => (Observe(ready, Ok) with { CircuitOpen = true, SlotsFull = true }, TimeSpan.FromMinutes(1)),
            "ready, alive, one health check failed just now" => (Observe(ready, Failing) with { NotAnsweringFor = TimeSpan.Zero }, TimeSpan.FromMinutes(1)),
            "ready once, alive, not answering past the grace" => (Observe(ready, Refused) with { NotAnsweringFor = TierHealthRules.AnswerGrace }, TimeSpan.FromMinutes(1)),
            "idle-stopped deep server" => (Observe(Process(ServerPhase.IdleStopped, startedAt, alive: false), Refused), TimeSpan.FromHours(1)),
            "unsupervised, refused" => (Observe(null, Refused), TimeSpan.Zero),
            "unsupervised, 503 loading" => (Observe(null, Loading) with { LoadingFor = TimeSpan.FromMinutes(2), ExpectedStartTime = Expected }, TimeSpan.Zero),
            "unsupervised, 503 loading past the tier's expected start" => (Observe(null, Loading) with { LoadingFor = Expected + TimeSpan.FromSeconds(1), ExpectedStartTime = Expected }, TimeSpan.Zero),
            "unsupervised, 500" => (Observe(null, Failing), TimeSpan.Zero),
            "unsupervised, ok, warm-up pending" => (Observe(null, Ok), TimeSpan.Zero),
            "unsupervised, ok, warm-up failed" => (Observe(null, Ok) with { WarmUpProblem = "warm-up completion answered HTTP 500" }, TimeSpan.Zero),
            "unsupervised, ok, warmed up" => (Observe(null, Ok) with { WarmedUp = true, SlotsFull = false }, TimeSpan.Zero),
            "unsupervised, warmed up, slots busy" => (Observe(null, Ok) with { WarmedUp = true, SlotsFull = true }, TimeSpan.Zero),
            "unsupervised, warmed up, circuit open" => (Observe(null, Ok) with { WarmedUp = true, CircuitOpen = true }, TimeSpan.Zero),
            "unsupervised, endpoint not allowed" => (Observe(null, new EndpointProbe(EndpointAnswer.NotAsked, "not loopback")), TimeSpan.Zero),
            "disabled" => (Observe(null, Refused) with { Enabled = false }, TimeSpan.Zero),
            _ => throw new ArgumentOutOfRangeException(nameof(situation), situation, null),
        };
    }

    private static ServerSnapshot Process(ServerPhase phase, DateTimeOffset? startedAt, bool alive = true) =>
        new("quick", phase, startedAt is null ? null : 4242, alive, startedAt, 0, null, null, null, Expected, null);

    private static TierObservation Observe(ServerSnapshot? server, EndpointProbe endpoint) =>
        new("quick", true, server, endpoint);
}
