using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Clustering;

public static class ClusteringServiceCollectionExtensions
{
    /// <summary>Binds "Clustering", registers the grouping API and the "clustering" stage (and Imaging if absent).</summary>
    public static IServiceCollection AddClustering(this IServiceCollection services, IConfiguration configuration)
    {
        if (!services.Any(d => d.ServiceType == typeof(ImagePreparation)))
        {
            services.AddImaging(configuration);
        }

        services.AddOptions<ClusteringOptions>()
            .Bind(configuration.GetSection(ClusteringOptions.Section))
            .Validate(o => o.MaxHashDistance is >= 0 and <= 64 && o.MaxBurstHashDistance is >= 0 and <= 64, "Clustering hash distances must be 0..64")
            .Validate(o => o.MaxTiltedHashDistance <= 64, "Clustering:MaxTiltedHashDistance must be at most 64 (negative turns it off)")
            .Validate(o => o.MinBurstCosine >= -1, "Clustering:MinBurstCosine must be a cosine, -1..1 (above 1 turns the CLIP check off)")
            .Validate(o => o.MaxTimeGap >= TimeSpan.Zero, "Clustering:MaxTimeGap must not be negative");
        services.TryAddSingleton<ClusterMembership>();
        services.AddSingleton<IPhotoStage, ClusteringStage>();
        return services;
    }
}
