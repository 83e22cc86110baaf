using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PrivateVlm.Configuration;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Viewer.Library;
using PrivateVlm.Viewer.Pictures;

namespace PrivateVlm.Viewer.Hosting;

public static class ViewerServiceCollectionExtensions
{
    /// <summary>
    /// The daemon's viewer: the viewer parts and a hosted service that serves them on 127.0.0.1:Viewer:Port while the
    /// daemon runs (nothing when Viewer:Port is absent). Call after the library, imaging and embeddings are registered.
    /// </summary>
    /// <exception cref="InvalidOperationException">Viewer:Port or Viewer:CacheMegabytes out of range.</exception>
    public static IServiceCollection AddViewer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddViewerParts(configuration);
        services.AddHostedService(sp => new ViewerDaemonService(
            sp, sp.GetRequiredService<ViewerOptions>(), sp.GetServices<IPhotoStage>(), sp.GetRequiredService<ILogger<ViewerDaemonService>>()));
        return services;
    }

    /// <summary>What the pages need, for the daemon and for `privatevlm view`: options, the timeline, the grid, the
    /// picture cache and rendering. Needs <see cref="LibraryDatabase"/>, ImagePreparation and the embeddings services.</summary>
    public static IServiceCollection AddViewerParts(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(ViewerOptions.Section).Get<ViewerOptions>() ?? new ViewerOptions();
        if (options.Port is { } port && port is < 1 or > 65535)
        {
            throw new InvalidOperationException($"Viewer:Port must be 1-65535 (got {port})");
        }

        if (options.CacheMegabytes < 1)
        {
            throw new InvalidOperationException($"Viewer:CacheMegabytes must be at least 1 (got {options.CacheMegabytes})");
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => new PhotoTimeline(sp.GetRequiredService<LibraryDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PhotoGrid>();
        services.AddSingleton<PictureRendering>();
        services.AddSingleton(sp => new PictureCache(
            options.ResolveCacheFolder(sp.GetService<AppPaths>() ?? AppPaths.ForCurrentUser()), options.CacheMegabytes * 1024L * 1024));
        services.AddSingleton<PhotoPictures>();
        return services;
    }
}
