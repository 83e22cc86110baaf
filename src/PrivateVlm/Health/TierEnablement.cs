using Microsoft.Extensions.Configuration;
using PrivateVlm.ModelServers;

namespace PrivateVlm.Health;

/// <summary>
/// Whether health expects a tier to work. The rule: a tier is enabled when its configuration says so, that is when
/// "Tiers:&lt;Tier&gt;" has any setting or "ModelServers:&lt;Tier&gt;:Command" is set, unless
/// "Tiers:&lt;Tier&gt;:Enabled" is false (and "Tiers:&lt;Tier&gt;:Enabled" true enables it with the default
/// endpoint). So a user who never set up a VLM sees both tiers disabled, not down, and `privatevlm health` exits 0.
/// The same "Enabled" key is the one the VLM stages can honour.
/// </summary>
public static class TierEnablement
{
    public sealed record Decision(bool Enabled, string Reason);

    public static Decision For(IConfiguration configuration, string tier)
    {
        var name = TierSettings.SectionName(tier);
        var section = configuration.GetSection($"Tiers:{name}");
        var explicitFlag = section["Enabled"];
        if (explicitFlag is not null)
        {
            return bool.TryParse(explicitFlag, out var enabled)
                ? new Decision(enabled, enabled ? $"Tiers:{name}:Enabled is true" : $"Tiers:{name}:Enabled is false")
                : throw new InvalidOperationException($"Tiers:{name}:Enabled must be true or false (got '{explicitFlag}')");
        }

        if (!string.IsNullOrWhiteSpace(configuration[$"{ModelServersOptions.Section}:{name}:Command"]))
        {
            return new Decision(true, $"ModelServers:{name} runs its server");
        }

        return section.GetChildren().Any()
            ? new Decision(true, $"Tiers:{name} is configured")
            : new Decision(false, $"not configured (no Tiers:{name} settings and no ModelServers:{name} server)");
    }
}
