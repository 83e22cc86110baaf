using Microsoft.Extensions.Configuration;
using PrivateVlm.Vlm.Egress;

namespace PrivateVlm.ModelServers;

/// <summary>
/// One tier's supervised server, checked when the daemon is composed: a command, the loopback endpoint it serves and
/// where its readiness is asked. A configuration that cannot be supervised safely stops the daemon before it starts.
/// </summary>
public sealed record ModelServerPlan(
    string Tier, ModelServerOptions Options, Uri Endpoint, Uri HealthUrl, TimeSpan ExpectedStartTime, string? Model,
    ModelServerKind Kind = ModelServerKind.Auto)
{
    public static readonly TimeSpan QuickExpectedStartTime = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan DeepExpectedStartTime = TimeSpan.FromMinutes(10);

    /// <summary>The supervised tiers in <paramref name="configuration"/> (none when "ModelServers" is absent).</summary>
    /// <exception cref="InvalidOperationException">A supervised tier whose endpoint or health URL is not loopback, or
    /// an invalid setting; the message says which and how to fix it.</exception>
    public static IReadOnlyList<ModelServerPlan> From(IConfiguration configuration)
    {
        var servers = configuration.GetSection(ModelServersOptions.Section).Get<ModelServersOptions>() ?? new ModelServersOptions();
        var plans = new List<ModelServerPlan>();
        foreach (var (tier, options) in new[] { (TierSettings.Quick, servers.Quick), (TierSettings.Deep, servers.Deep) })
        {
            // Tiers:<Tier>:Enabled false switches the tier off, its server included.
            if (options is null || string.IsNullOrWhiteSpace(options.Command)
                || string.Equals(configuration[$"{Vlm.Configuration.TiersOptions.Section}:{TierSettings.SectionName(tier)}:Enabled"], "false", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            plans.Add(Create(tier, options, configuration));
        }

        return plans;
    }

    private static ModelServerPlan Create(string tier, ModelServerOptions options, IConfiguration configuration)
    {
        var key = $"{ModelServersOptions.Section}:{TierSettings.SectionName(tier)}";
        var tierOptions = TierSettings.Read(configuration, tier);
        var endpoint = tierOptions.EndpointUris()[0];
        if (!PhotoEgressGuard.IsLoopback(endpoint))
        {
            throw new InvalidOperationException(
                $"{key}: refusing to supervise '{options.Command}': the {tier} tier's endpoint {endpoint} is not loopback, so photos " +
                $"would leave this machine while the server started here sits unused. Point Tiers:{TierSettings.SectionName(tier)}:Endpoints:0 " +
                "at the local server (e.g. http://127.0.0.1:8086) or remove the ModelServers entry.");
        }

        var healthUrl = string.IsNullOrWhiteSpace(options.HealthUrl)
            ? new Uri(endpoint, "health")
            : Uri.TryCreate(options.HealthUrl, UriKind.Absolute, out var configured) && configured.Scheme is "http" or "https"
                ? configured
                : throw new InvalidOperationException($"{key}:HealthUrl '{options.HealthUrl}' is not an absolute http(s) URL");
        if (!PhotoEgressGuard.IsLoopback(healthUrl))
        {
            throw new InvalidOperationException($"{key}:HealthUrl {healthUrl} is not loopback: a supervised server is asked on this machine only");
        }

        if (tier != TierSettings.Deep && options.IdleStopAfter is not null)
        {
            throw new InvalidOperationException($"{key}:IdleStopAfter applies to the deep tier only (the quick tier answers within seconds of a photo arriving)");
        }

        if (options.IdleStopAfter is { } idle && idle <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{key}:IdleStopAfter must be positive or absent (got {idle})");
        }

        var expected = options.ExpectedStartTime ?? (tier == TierSettings.Deep ? DeepExpectedStartTime : QuickExpectedStartTime);
        if (expected <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{key}:ExpectedStartTime must be positive (got {expected})");
        }

        return new ModelServerPlan(tier, options, endpoint, healthUrl, expected, tierOptions.Model, TierSettings.Kind(configuration, tier));
    }
}
