using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.Storage;

namespace PrivateVlm.ModelServers;

public static class ModelServersServiceCollectionExtensions
{
    /// <summary>
    /// One <see cref="ModelServerSupervisor"/> (a hosted service) per tier with a "ModelServers:&lt;Tier&gt;:Command";
    /// nothing when the section is absent. Needs the photo library (<see cref="Storage.LibraryDatabase"/>) for the
    /// deep tier's idle stop.
    /// </summary>
    /// <exception cref="InvalidOperationException">A supervised tier whose endpoint is not loopback, or a bad setting.</exception>
    public static IServiceCollection AddModelServers(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new ModelServerProbe(ModelServerProbe.CreateHttpClient()));
        services.TryAddSingleton<PendingStageWork>();
        var plans = ModelServerPlan.From(configuration);
        foreach (var plan in plans)
        {
            services.AddSingleton(sp => new ModelServerSupervisor(
                plan,
                sp.GetRequiredService<ModelServerProbe>(),
                sp.GetRequiredService<PendingStageWork>(),
                ServerPidFile.For(sp.GetRequiredService<LibraryDatabase>().FilePath, plan.Tier),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ModelServerSupervisor>>()));
        }

        // Resolved through the collection so each supervisor is one instance, both hosted and asked for snapshots.
        for (var i = 0; i < plans.Count; i++)
        {
            var index = i;
            services.AddSingleton<IHostedService>(sp => sp.GetServices<ModelServerSupervisor>().ElementAt(index));
        }

        return services;
    }
}
