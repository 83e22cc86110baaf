using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.ModelServers;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Health;

public static class TierHealthServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="TierHealthMonitor"/> (polls every Health:PollInterval and writes tier_health), one
    /// <see cref="TierHealthCheck"/> per tier in a HealthCheckService, and the optional loopback HTTP endpoint
    /// (Health:HttpPort). Call after <see cref="ModelServersServiceCollectionExtensions.AddModelServers"/> so
    /// supervised tiers are watched through their process.
    /// </summary>
    /// <exception cref="InvalidOperationException">Health:HttpAddress is not a loopback address, or a bad setting
    /// (an unknown Tiers:&lt;Tier&gt;:ServerKind included).</exception>
    public static IServiceCollection AddTierHealth(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(HealthOptions.Section).Get<HealthOptions>() ?? new HealthOptions();
        if (!IPAddress.TryParse(options.HttpAddress, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new InvalidOperationException(
                $"Health:HttpAddress '{options.HttpAddress}' is not a loopback address: the health endpoint listens on this machine only (use 127.0.0.1)");
        }

        if (options.HttpPort is { } port && port is < 1 or > 65535)
        {
            throw new InvalidOperationException($"Health:HttpPort must be 1-65535 (got {port})");
        }

        if (options.PollInterval < TimeSpan.FromMilliseconds(50))
        {
            throw new InvalidOperationException($"Health:PollInterval must be at least 50 ms (got {options.PollInterval})");
        }

        var tiers = TierSettings.Names
            .Select(tier => (Tier: tier, Enablement: TierEnablement.For(configuration, tier), Options: TierSettings.Read(configuration, tier),
                Kind: TierSettings.Kind(configuration, tier)))
            .ToList();
        var allowedHosts = configuration.GetSection(VlmOptions.Section).Get<VlmOptions>()?.AllowedRemoteHosts ?? [];

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new ModelServerProbe(ModelServerProbe.CreateHttpClient()));
        services.TryAddSingleton<EndpointCircuits>();
        services.AddSingleton(sp =>
        {
            var supervisors = sp.GetServices<ModelServerSupervisor>().ToDictionary(s => s.Tier, StringComparer.Ordinal);
            return new TierHealthMonitor(
                tiers.Select(t => new WatchedTier(t.Tier, t.Enablement, t.Options, supervisors.GetValueOrDefault(t.Tier), t.Kind)).ToList(),
                sp.GetRequiredService<ModelServerProbe>(),
                sp.GetRequiredService<EndpointCircuits>(),
                new PhotoEgressGuard(allowedHosts),
                sp.GetRequiredService<LibraryDatabase>(),
                sp.GetRequiredService<TimeProvider>(),
                options,
                sp.GetRequiredService<ILogger<TierHealthMonitor>>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<TierHealthMonitor>());

        var checks = services.AddHealthChecks();
        foreach (var tier in TierSettings.Names)
        {
            checks.AddTypeActivatedCheck<TierHealthCheck>(tier, args: tier);
        }

        services.AddSingleton(options);
        services.AddHostedService(sp => new HealthHttpEndpoint(
            sp.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>(),
            options,
            sp.GetRequiredService<ILogger<HealthHttpEndpoint>>()));
        return services;
    }
}
