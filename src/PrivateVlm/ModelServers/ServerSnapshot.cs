namespace PrivateVlm.ModelServers;

/// <summary>Where a supervised server is in its life.</summary>
public enum ServerPhase
{
    /// <summary>The daemon has not launched it yet.</summary>
    NotStarted,

    /// <summary>Launched; /health or the warm-up completion has not succeeded yet.</summary>
    Loading,

    /// <summary>/health ok and a one-token warm-up completion succeeded.</summary>
    Ready,

    /// <summary>Exited unexpectedly; waiting for the restart backoff.</summary>
    Exited,

    /// <summary>Deep tier: stopped on purpose after IdleStopAfter without deep work; starts when work is queued.</summary>
    IdleStopped,

    /// <summary>Stopped because the daemon is stopping.</summary>
    Stopped,
}

/// <summary>One moment of a supervised server, for health and `status`.</summary>
public sealed record ServerSnapshot(
    string Tier,
    ServerPhase Phase,
    int? ProcessId,
    bool Alive,
    DateTimeOffset? StartedAt,
    int Restarts,
    int? LastExitCode,
    DateTimeOffset? LastExitAt,
    DateTimeOffset? NextStartAt,
    TimeSpan ExpectedStartTime,
    string? LastProblem);
