namespace PrivateVlm.Health;

/// <summary>The "Health" configuration section.</summary>
public sealed record HealthOptions
{
    public const string Section = "Health";

    /// <summary>How often each tier is observed and tier_health refreshed.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Serve GET http://127.0.0.1:PORT/health (JSON, 200 or 503). Off when absent.</summary>
    public int? HttpPort { get; init; }

    /// <summary>Where the health endpoint listens; loopback only (anything else is refused at start-up).</summary>
    public string HttpAddress { get; init; } = "127.0.0.1";
}
