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

    /// <summary>"Quick"/"Deep": the configuration key of a tier name.</summary>
    public static string SectionName(string tier) => tier == Deep ? "Deep" : "Quick";
}
