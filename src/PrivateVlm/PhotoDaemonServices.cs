using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Daemon;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Pipeline;
using PrivateVlm.Health;
using PrivateVlm.Imaging;
using PrivateVlm.Ingest;
using PrivateVlm.Metadata;
using PrivateVlm.ModelServers;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Viewer.Hosting;
using PrivateVlm.Vlm.Stages;

namespace PrivateVlm;

/// <summary>
/// Composition of the daemon: the store, the queue, the stages and the loops that feed them. The order of the
/// hosted services is the start-up order: database first, then the gate, ingest, scans, watcher and workers.
/// </summary>
public static class PhotoDaemonServices
{
    public static IServiceCollection AddPhotoLibrary(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingletonTimeProvider();
        services.Configure<DatabaseOptions>(configuration.GetSection(DatabaseOptions.Section));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            return new LibraryDatabase(
                DatabaseLocation.Resolve(options), options.BusyTimeout,
                sp.GetRequiredService<ILogger<LibraryDatabase>>(), sp.GetRequiredService<TimeProvider>(), options.MaxSizeMegabytes);
        });
        return services;
    }

    public static IServiceCollection AddPhotoDaemon(this IServiceCollection services, IConfiguration configuration)
    {
        // A VLM tier with its model in the models folder and no server configured is served by the built-in engine,
        // written into the configuration as a supervised server so every part below treats it like one.
        configuration = ModelServers.BuiltIn.BuiltInEngines.Apply(configuration);
        services.AddPhotoLibrary(configuration);
        services.Configure<WatchOptions>(configuration.GetSection(WatchOptions.Section));

        services.AddSingleton<JobSignals>();
        services.AddSingleton<StageCatalog>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<DaemonExit>();

        services.AddMetadata(configuration);

        services.AddImaging(configuration);
        services.AddEmbeddings(configuration);
        services.AddSingleton<IPhotoStage, EmbeddingStage>();

        services.AddClustering(configuration);

        services.AddVisionStages(configuration); // AddVlm + the "quick" and "deep" stages (off until their tier is enabled)

        services.AddSingleton<OriginalDatabaseFile>();
        services.AddHostedService<LibraryStartup>();
        services.AddHostedService<DatabaseWatchdog>();
        services.AddHostedSingleton<StableFileGate>();
        services.AddHostedSingleton<FileIngestor>();
        services.AddHostedSingleton<FolderWatcher>(); // enabled before the start-up scan: nothing slips between them
        services.AddHostedSingleton<FolderReconciler>();
        services.AddHostedService<ImagingWarmUp>(); // before the workers claim: see ImagingWarmUp
        services.AddHostedSingleton<StageWorkers>();
        services.AddHostedService<IdleMemoryRelease>();
        services.AddModelServers(configuration);
        services.AddTierHealth(configuration);
        services.AddViewer(configuration); // Viewer:Port serves the web viewer from the daemon
        return services;
    }

    private static void AddHostedSingleton<T>(this IServiceCollection services)
        where T : class, IHostedService
    {
        services.AddSingleton<T>();
        services.AddHostedService(sp => sp.GetRequiredService<T>());
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
