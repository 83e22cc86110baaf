namespace PrivateVlm.Vlm.Configuration;

/// <summary>The "Tiers" configuration section: Tiers:Quick (L1.5) and Tiers:Deep (L2).</summary>
public sealed record TiersOptions
{
    public const string Section = "Tiers";

    public TierOptions Quick { get; init; } = TierOptions.QuickDefaults;

    public TierOptions Deep { get; init; } = TierOptions.DeepDefaults;
}
