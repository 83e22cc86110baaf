namespace PrivateVlm.ModelServers;

/// <summary>
/// The "ModelServers" configuration section: model server processes the daemon starts and watches itself, per tier.
/// A tier without an entry (or without a Command) is not supervised: the daemon only talks to its endpoint.
/// </summary>
public sealed record ModelServersOptions
{
    public const string Section = "ModelServers";

    public ModelServerOptions? Quick { get; init; }

    public ModelServerOptions? Deep { get; init; }
}

/// <summary>One supervised server process (ModelServers:Quick or ModelServers:Deep).</summary>
public sealed record ModelServerOptions
{
    /// <summary>The executable (e.g. /opt/homebrew/bin/llama-server). Started directly, never through a shell.</summary>
    public string? Command { get; init; }

    /// <summary>One list item per argument, exactly as the process receives it: no quoting, no shell expansion.</summary>
    public List<string> Arguments { get; init; } = [];

    public string? WorkingDirectory { get; init; }

    /// <summary>Extra environment variables for the server (e.g. LLAMA_CACHE); the daemon's own are inherited.</summary>
    public Dictionary<string, string> Environment { get; init; } = [];

    /// <summary>Readiness URL; default: the tier's first endpoint + /health.</summary>
    public string? HealthUrl { get; init; }

    /// <summary>How long loading may take before a live but not-ready server counts as degraded. Default: 3 min for
    /// the quick tier, 10 min for the deep tier (a 32B model reads ~20 GB from disk on a cold start).</summary>
    public TimeSpan? ExpectedStartTime { get; init; }

    public RestartBackoffOptions RestartBackoff { get; init; } = new();

    /// <summary>Deep tier only: stop the server after this long without queued or running deep jobs, to give its
    /// memory back, and start it again when deep work is queued. Null: never stop it.</summary>
    public TimeSpan? IdleStopAfter { get; init; }

    /// <summary>How often the deep tier's idle server looks for queued deep jobs.</summary>
    public TimeSpan WorkPollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Between SIGTERM and SIGKILL when stopping the server.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most output lines per second copied into the daemon log; the rest are counted and reported.</summary>
    public int MaxLogLinesPerSecond { get; init; } = 50;
}

/// <summary>Delay before restarting a server that exited unexpectedly: doubles from Initial up to Max, and starts
/// from Initial again once a restarted server has become ready.</summary>
public sealed record RestartBackoffOptions
{
    public TimeSpan Initial { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan Max { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan DelayAfter(int consecutiveFailures)
    {
        var initial = Initial > TimeSpan.Zero ? Initial : TimeSpan.FromMilliseconds(1);
        var max = Max >= initial ? Max : initial;
        var factor = Math.Pow(2, Math.Clamp(consecutiveFailures - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(max.Ticks, initial.Ticks * factor));
    }
}
