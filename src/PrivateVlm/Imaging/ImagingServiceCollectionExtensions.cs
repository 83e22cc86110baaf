using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace PrivateVlm.Imaging;

public static class ImagingServiceCollectionExtensions
{
    /// <summary>Binds <see cref="ImagingOptions"/> from the "Imaging" section and registers <see cref="ImagePreparation"/>.</summary>
    public static IServiceCollection AddImaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ImagingOptions>()
            .Bind(configuration.GetSection(ImagingOptions.Section))
            .Validate(o => o.MaxFileBytes > 0, "Imaging:MaxFileBytes must be positive")
            .Validate(o => o.MaxPixels > 0, "Imaging:MaxPixels must be positive")
            .Validate(o => o.TimeLimit > TimeSpan.Zero, "Imaging:TimeLimit must be positive")
            .Validate(o => o.JpegQuality is >= 1 and <= 100, "Imaging:JpegQuality must be 1..100")
            .Validate(o => o.WorkingImageMemory >= 0, "Imaging:WorkingImageMemory must not be negative")
            .Validate(o => o.WorkingImageLifetime > TimeSpan.Zero, "Imaging:WorkingImageLifetime must be positive")
            .ValidateOnStart();
        services.AddSingleton<ImagePreparation>();
        return services;
    }
}
