using Microsoft.Extensions.Configuration;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Vlm.Configuration;

/// <summary>
/// Whether a VLM tier is on: the one rule the quick/deep stages, health and model-server supervision all follow.
/// A tier is enabled when its configuration says so, that is when "Tiers:&lt;Tier&gt;" has any setting or
/// "ModelServers:&lt;Tier&gt;:Command" is set (which is also how the built-in engine for a model installed in the
/// models folder is configured, see <see cref="ModelServers.BuiltIn.BuiltInEngines"/>), unless
/// "Tiers:&lt;Tier&gt;:Enabled" is false (and
/// "Tiers:&lt;Tier&gt;:Enabled" true enables it with the default endpoint). So a user who never set up a VLM has no
/// quick/deep jobs piling up, sees both tiers disabled (not down), and `privatevlm health` exits 0.
/// </summary>
public static class TierEnablement
{
    public sealed record Decision(bool Enabled, string Reason);

    public static Decision For(IConfiguration configuration, string tier)
    {
        var name = tier == StageGraph.Deep ? "Deep" : "Quick";
        var section = configuration.GetSection($"{TiersOptions.Section}:{name}");
        var explicitFlag = section["Enabled"];
        if (explicitFlag is not null)
        {
            return bool.TryParse(explicitFlag, out var enabled)
                ? new Decision(enabled, enabled ? $"Tiers:{name}:Enabled is true" : $"Tiers:{name}:Enabled is false")
                : throw new InvalidOperationException($"Tiers:{name}:Enabled must be true or false (got '{explicitFlag}')");
        }

        if (configuration[$"{ModelServers.BuiltIn.BuiltInEngineOptions.Section}:{name}:{ModelServers.BuiltIn.BuiltInEngines.ServesKey}"] is { Length: > 0 } model)
        {
            return new Decision(true, $"the built-in engine serves {Path.GetFileName(model)}");
        }

        if (!string.IsNullOrWhiteSpace(configuration[$"ModelServers:{name}:Command"]))
        {
            return new Decision(true, $"ModelServers:{name} runs its server");
        }

        return section.GetChildren().Any()
            ? new Decision(true, $"Tiers:{name} is configured")
            : new Decision(false, $"not configured ({WhyOff(configuration, tier)})");
    }

    private static string WhyOff(IConfiguration configuration, string tier)
    {
        var summary = ModelServers.BuiltIn.BuiltInEngines.Choose(configuration, tier).Summary;
        return summary.StartsWith("off: ", StringComparison.Ordinal) ? summary["off: ".Length..] : summary;
    }
}
