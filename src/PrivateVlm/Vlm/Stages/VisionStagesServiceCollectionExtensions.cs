using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Descriptions;

namespace PrivateVlm.Vlm.Stages;

public static class VisionStagesServiceCollectionExtensions
{
    /// <summary>
    /// The "quick" (L1.5) and "deep" (L2) stages (prerequisites in <see cref="StageGraph"/>) over <see cref="VisionTier{TDescription}"/>. Needs AddVlm, AddImaging
    /// and the photo library (LibraryDatabase). Each stays unconfigured (no jobs) until its tier is enabled
    /// (see <see cref="TierEnablement"/>).
    /// </summary>
    public static IServiceCollection AddVisionStages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddVlm(configuration);
        var quick = TierEnablement.For(configuration, StageGraph.Quick);
        var deep = TierEnablement.For(configuration, StageGraph.Deep);
        services.AddSingleton<IPhotoStage>(sp => Create<QuickDescription>(sp, quick, quick.Enabled, c => c.Quick));
        services.AddSingleton<IPhotoStage>(sp => Create<DeepDescription>(sp, deep, quick.Enabled, c => c.Deep));
        return services;
    }

    private static VisionStage<T> Create<T>(
        IServiceProvider services, TierEnablement.Decision enablement, bool quickEnabled,
        Func<(int Quick, int Deep), int> workers)
        where T : class
    {
        var tiers = services.GetRequiredService<IOptions<TiersOptions>>().Value;
        var tier = services.GetRequiredService<VisionTier<T>>();
        var imaging = services.GetRequiredService<ImagePreparation>();
        var stage = new VisionStage<T>(
            tier,
            enablement,
            workers(VisionStagePolicy.Concurrency(tiers.Quick, tiers.Deep, quickEnabled)),
            imaging,
            services.GetRequiredService<LibraryDatabase>(),
            services.GetService<Clustering.ClusterMembership>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateVlm.Vlm.Stages." + tier.Name));
        if (stage.IsConfigured)
        {
            // The photo's one decode is made at the size the largest tier sends, and kept until each tier took its JPEG.
            var budget = tier.Options.ImageBudget;
            imaging.PlanVlmImages(stage.Name, new VlmImageBudget((int)Math.Min(int.MaxValue, budget.MaxPixels), budget.LongSide, budget.JpegQuality));
        }

        return stage;
    }
}
