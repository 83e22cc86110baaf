namespace PrivateVlm.Health;

/// <summary>One tier's current health: a row of tier_health.</summary>
public sealed record TierHealth(
    string Tier, TierHealthState State, string Detail, int? ProcessId, DateTimeOffset Since, DateTimeOffset UpdatedAt);
