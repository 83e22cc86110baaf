using Microsoft.Extensions.Configuration;
using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.ModelServers;

/// <summary>
/// The VLM tiers' settings as the Vlm area binds them ("Tiers" with its defaults), read here without registering
/// options a second time: binding the same section twice would append every endpoint list twice.
/// </summary>
public static class TierSettings
{
    public const string Quick = "quick";
    public const string Deep = "deep";

    public static IReadOnlyList<string> Names { get; } = [Quick, Deep];

    public static TierOptions Read(IConfiguration configuration, string tier)
    {
        var tiers = configuration.GetSection(TiersOptions.Section).Get<TiersOptions>() ?? new TiersOptions();
        return tier == Deep ? tiers.Deep : tiers.Quick;
    }

    /// <summary>Tiers:&lt;Tier&gt;:ServerKind: which server runs at the tier's endpoints (auto when absent).</summary>
    /// <exception cref="InvalidOperationException">Not a known kind; the message lists them.</exception>
    public static ModelServerKind Kind(IConfiguration configuration, string tier)
    {
        var key = $"{TiersOptions.Section}:{SectionName(tier)}:ServerKind";
        return ModelServerKindText.Parse(configuration[key], key);
    }

    /// <summary>"Quick"/"Deep": the configuration key of a tier name.</summary>
    public static string SectionName(string tier) => tier == Deep ? "Deep" : "Quick";
}
