namespace PrivateVlm.Health;

/// <summary>A VLM tier's health, as `privatevlm health` prints it and the tier_health table stores it (lower case).</summary>
public enum TierHealthState
{
    /// <summary>Not configured: photos skip this tier.</summary>
    Disabled,

    /// <summary>Its server is loading (alive, within its expected start time), or is being (re)started.</summary>
    Starting,

    /// <summary>Answering: /health ok and a warm-up completion succeeded.</summary>
    Ready,

    /// <summary>Ready, and every slot is taken: new photos wait.</summary>
    Busy,

    /// <summary>Alive but not doing its job: loading for longer than expected, failing requests (circuit open), or
    /// not answering although its process runs.</summary>
    Degraded,

    /// <summary>Not running: the supervised process died and is not restarted yet, or an unsupervised endpoint
    /// refuses connections.</summary>
    Down,
}

public static class TierHealthStateText
{
    public static string ToText(this TierHealthState state) => state.ToString().ToLowerInvariant();

    public static TierHealthState Parse(string text) =>
        Enum.TryParse<TierHealthState>(text, ignoreCase: true, out var state)
            ? state
            : throw new FormatException($"'{text}' is not a tier health state");
}
