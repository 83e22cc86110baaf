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
    public const string QuickStageName = "quick";
    public const string DeepStageName = "deep";

    /// <summary>The quick VLM pass waits for L0, for L1 where it is set up, and for near-duplicate grouping (a cluster
    /// member inherits its representative's results instead of a model call).</summary>
    public static readonly IReadOnlyList<string> QuickPrerequisites = ["metadata", "embedding", "clustering"];

    /// <summary>The deep pass waits for what the quick pass waits for, not for the quick pass itself: a photo whose quick
    /// pass failed (an answer that never parsed, a server that rejected it) still gets its deep description, and with
    /// the quick tier off the deep pass still waits for near-duplicate grouping. The two tiers' servers are separate
    /// processes, and a shared server keeps a slot for quick work (<see cref="VisionStagePolicy"/>).</summary>
    public static readonly IReadOnlyList<string> DeepPrerequisites = QuickPrerequisites;

    /// <summary>
    /// The "quick" (L1.5) and "deep" (L2) stages over <see cref="VisionTier{TDescription}"/>. Needs AddVlm, AddImaging
    /// and the photo library (LibraryDatabase). Each stays unconfigured (no jobs) until its tier is enabled
    /// (see <see cref="TierEnablement"/>).
    /// </summary>
    public static IServiceCollection AddVisionStages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddVlm(configuration);
        var quick = TierEnablement.For(configuration, QuickStageName);
        var deep = TierEnablement.For(configuration, DeepStageName);
        services.AddSingleton<IPhotoStage>(sp => Create<QuickDescription>(sp, quick, quick.Enabled, QuickPrerequisites, c => c.Quick));
        services.AddSingleton<IPhotoStage>(sp => Create<DeepDescription>(sp, deep, quick.Enabled, DeepPrerequisites, c => c.Deep));
        return services;
    }

    private static VisionStage<T> Create<T>(
        IServiceProvider services, TierEnablement.Decision enablement, bool quickEnabled, IReadOnlyList<string> declared,
        Func<(int Quick, int Deep), int> workers)
        where T : class
    {
        var tiers = services.GetRequiredService<IOptions<TiersOptions>>().Value;
        var tier = services.GetRequiredService<VisionTier<T>>();
        var imaging = services.GetRequiredService<ImagePreparation>();
        var stage = new VisionStage<T>(
            tier,
            enablement,
            declared,
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
