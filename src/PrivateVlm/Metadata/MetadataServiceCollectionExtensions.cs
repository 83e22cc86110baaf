using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Metadata;

public static class MetadataServiceCollectionExtensions
{
    /// <summary>Binds <see cref="MetadataOptions"/> from the "Metadata" section and registers the L0 reader and stage.</summary>
    public static IServiceCollection AddMetadata(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetadataOptions>()
            .Bind(configuration.GetSection(MetadataOptions.Section))
            .Validate(o => o.TimeLimit > TimeSpan.Zero, "Metadata:TimeLimit must be positive")
            .ValidateOnStart();
        services.AddSingleton<PhotoMetadataReader>();
        services.AddSingleton<IPhotoStage, MetadataStage>();
        return services;
    }
}
