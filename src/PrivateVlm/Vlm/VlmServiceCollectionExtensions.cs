using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Pipeline;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Protocol;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Vlm;

public static class VlmServiceCollectionExtensions
{
    /// <summary>
    /// The quick (L1.5) and deep (L2) VLM tiers as <see cref="VisionTier{TDescription}"/> of
    /// <see cref="QuickDescription"/> and <see cref="DeepDescription"/>, bound from "Tiers" and "Vlm", plus
    /// <see cref="EndpointCircuits"/> for health reporting.
    /// </summary>
    public static IServiceCollection AddVlm(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<VlmOptions>().Bind(configuration.GetSection(VlmOptions.Section));
        services.AddOptions<TiersOptions>().Bind(configuration.GetSection(TiersOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PromptCatalog>();
        services.TryAddSingleton<EndpointCircuits>();
        services.TryAddSingleton(sp => new PhotoEgressGuard(sp.GetRequiredService<IOptions<VlmOptions>>().Value.AllowedRemoteHosts));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<VlmOptions>>().Value;
            return new ChatCompletionsClient(
                ChatCompletionsClient.CreateHttpClient(options), sp.GetRequiredService<PhotoEgressGuard>(), options, sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddSingleton(sp => CreateTier<QuickDescription>(sp, StageGraph.Quick, o => o.Quick));
        services.TryAddSingleton(sp => CreateTier<DeepDescription>(sp, StageGraph.Deep, o => o.Deep));
        return services;
    }

    private static VisionTier<T> CreateTier<T>(IServiceProvider services, string name, Func<TiersOptions, TierOptions> select)
        where T : class =>
        new(
            name,
            select(services.GetRequiredService<IOptions<TiersOptions>>().Value),
            services.GetRequiredService<PromptCatalog>(),
            services.GetRequiredService<ChatCompletionsClient>(),
            services.GetRequiredService<PhotoEgressGuard>(),
            services.GetRequiredService<EndpointCircuits>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateVlm.Vlm." + name));
}
