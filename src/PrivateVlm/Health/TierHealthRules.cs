using System.Globalization;
using PrivateVlm.ModelServers;

namespace PrivateVlm.Health;

/// <summary>
/// The health rules, as a pure function of one observation and the time. The rule that matters most: "connection
/// refused" means down OR still starting, and only knowledge of the server process separates the two. A supervised
/// server that is alive and loading within its expected start time is starting, never down; past that time it is
/// degraded; a dead one is down until its restart. An unsupervised endpoint refusing connections is down, since
/// nothing here can know better. An endpoint that accepts connections and gives no answer at all is "unresponsive",
/// reported as down with that word first: a loading llama-server answers 503 at once, so silence means wedged (a
/// supervised server still in its first load is the exception: servers such as Ollama block requests while loading).
/// </summary>
public static class TierHealthRules
{
    /// <summary>How long a ready server's process may be alive without answering before it counts as degraded. One
    /// failed check is not enough: a server that was just killed fails its last check before the OS reports it dead,
    /// and a busy server may answer a check late.</summary>
    public static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(5);

    public static TierVerdict Evaluate(TierObservation observation, DateTimeOffset now)
    {
        if (!observation.Enabled)
        {
            return new TierVerdict(TierHealthState.Disabled, observation.DisabledReason ?? "not configured");
        }

        if (observation.Pool is { Count: > 1 } pool)
        {
            return Pooled(pool.Select(p => (p.Endpoint, Verdict: Evaluate(p.Observation with { Pool = null }, now))).ToList());
        }

        return observation.Server is { } server
            ? Supervised(observation, server, now)
            : Unsupervised(observation);
    }

    /// <summary>
    /// A tier spread over several endpoints serves while any of them does (the router sends photos to those), but one
    /// that does not is worth a look: the tier is then degraded, and the detail names every endpoint's state. With
    /// none serving, the tier is as well off as its best endpoint (starting before degraded before down).
    /// </summary>
    private static TierVerdict Pooled(IReadOnlyList<(Uri Endpoint, TierVerdict Verdict)> pool)
    {
        var each = string.Join("; ", pool.Select(p => $"{p.Endpoint} {p.Verdict.State.ToText()}: {p.Verdict.Detail}"));
        var serving = pool.Count(p => p.Verdict.State is TierHealthState.Ready or TierHealthState.Busy);
        if (serving == pool.Count)
        {
            return pool.All(p => p.Verdict.State == TierHealthState.Busy)
                ? new TierVerdict(TierHealthState.Busy, $"every slot of all {pool.Count} endpoints is busy, new photos wait: {each}")
                : new TierVerdict(TierHealthState.Ready, $"{pool.Count} endpoints serving: {each}");
        }

        if (serving > 0)
        {
            return new TierVerdict(TierHealthState.Degraded, $"{serving} of {pool.Count} endpoints serving, photos go to those: {each}");
        }

        var best = pool.Select(p => p.Verdict.State)
            .OrderBy(s => s switch { TierHealthState.Starting => 0, TierHealthState.Degraded => 1, _ => 2 })
            .First();
        return new TierVerdict(best, $"none of {pool.Count} endpoints serving: {each}");
    }

    private static TierVerdict Supervised(TierObservation observation, ServerSnapshot server, DateTimeOffset now)
    {
        switch (server.Phase)
        {
            case ServerPhase.NotStarted:
                return new TierVerdict(TierHealthState.Starting, "the daemon is launching the server");
            case ServerPhase.IdleStopped:
                return new TierVerdict(TierHealthState.Ready, "server stopped while idle to free memory; it starts again when work is queued");
            case ServerPhase.Stopped:
                return new TierVerdict(TierHealthState.Down, "server stopped with the daemon");
            case ServerPhase.Exited:
                var restart = server.NextStartAt is { } next
                    ? $"restart {server.Restarts + 1} in {Duration(next > now ? next - now : TimeSpan.Zero)}"
                    : "restart pending";
                return new TierVerdict(TierHealthState.Down, $"{server.LastProblem ?? "server exited"}; {restart}");
        }

        if (!server.Alive)
        {
            return new TierVerdict(TierHealthState.Down, $"server process {server.ProcessId} is not running; restart pending");
        }

        if (server.Phase == ServerPhase.Loading)
        {
            var loading = now - (server.StartedAt ?? now);
            var why = observation.Endpoint.Detail + (server.LastProblem is { } problem ? "; " + problem : "");
            return loading <= server.ExpectedStartTime
                ? new TierVerdict(TierHealthState.Starting,
                    $"pid {server.ProcessId} loading for {Duration(loading)} (expected within {Duration(server.ExpectedStartTime)}): {why}")
                : new TierVerdict(TierHealthState.Degraded,
                    $"pid {server.ProcessId} still not ready after {Duration(loading)} (expected within {Duration(server.ExpectedStartTime)}): {why}");
        }

        if (observation.Endpoint.Answer != EndpointAnswer.Ok)
        {
            var silent = observation.NotAnsweringFor ?? TimeSpan.Zero;
            if (silent < AnswerGrace)
            {
                return new TierVerdict(TierHealthState.Ready, $"pid {server.ProcessId}; its last health check failed ({observation.Endpoint.Detail})");
            }

            return observation.Endpoint.Answer == EndpointAnswer.Unresponsive
                ? new TierVerdict(TierHealthState.Down,
                    $"unresponsive: pid {server.ProcessId} runs and accepts connections but has given no answer for {Duration(silent)} ({observation.Endpoint.Detail}); photos wait until it answers or is restarted")
                : new TierVerdict(TierHealthState.Degraded, $"pid {server.ProcessId} is running but has not answered for {Duration(silent)}: {observation.Endpoint.Detail}");
        }

        return Answering(observation, $"supervised{KindOf(observation)}, {server.Restarts} restart(s) so far");
    }

    private static TierVerdict Unsupervised(TierObservation observation)
    {
        var endpoint = observation.Endpoint;
        switch (endpoint.Answer)
        {
            case EndpointAnswer.NotAsked:
                return new TierVerdict(TierHealthState.Down, endpoint.Detail);
            case EndpointAnswer.Refused:
                return new TierVerdict(TierHealthState.Down,
                    "connection refused: the server is not running (it is not supervised by the daemon, so a server still starting looks the same)");
            case EndpointAnswer.Failing:
                return new TierVerdict(TierHealthState.Degraded, endpoint.Detail);
            case EndpointAnswer.Unresponsive:
                return new TierVerdict(TierHealthState.Down,
                    $"unresponsive: the server accepts connections but {endpoint.Detail} (a loading server answers 503 at once): " +
                    "it is wedged; photos wait until it answers again");
            case EndpointAnswer.Loading:
                var loading = observation.LoadingFor ?? TimeSpan.Zero;
                return observation.ExpectedStartTime is { } expected && loading > expected
                    ? new TierVerdict(TierHealthState.Degraded, $"the server has said it is loading for {Duration(loading)} (expected within {Duration(expected)}): {endpoint.Detail}")
                    : new TierVerdict(TierHealthState.Starting, "the server says it is loading its model: " + endpoint.Detail);
        }

        if (!observation.WarmedUp)
        {
            return observation.WarmUpProblem is { } problem
                ? new TierVerdict(TierHealthState.Degraded, "/health ok but " + problem)
                : new TierVerdict(TierHealthState.Starting, "/health ok; warm-up completion pending");
        }

        return Answering(observation, "not supervised" + KindOf(observation));
    }

    private static string KindOf(TierObservation observation) =>
        observation.Endpoint.Kind == ModelServerKind.Auto ? "" : " " + observation.Endpoint.Kind.ToText();

    private static TierVerdict Answering(TierObservation observation, string who)
    {
        if (observation.CircuitOpen)
        {
            var last = observation.CircuitProblem is { } problem ? $"; last failure: {problem}" : "";
            return new TierVerdict(TierHealthState.Degraded, $"{who}; requests keep failing (circuit open): calls are paused{last}");
        }

        return observation.SlotsFull == true
            ? new TierVerdict(TierHealthState.Busy, $"{who}; every slot is busy, new photos wait")
            : new TierVerdict(TierHealthState.Ready, who);
    }

    public static string Duration(TimeSpan span) =>
        span < TimeSpan.FromMinutes(2)
            ? span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s"
            : span.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + " min";
}
