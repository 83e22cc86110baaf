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

    /// <summary>The quick VLM pass waits for L0 and, where L1 is set up, for the embedding (clustering later reads it).</summary>
    public static readonly IReadOnlyList<string> QuickPrerequisites = ["metadata", "embedding"];

    public static readonly IReadOnlyList<string> DeepPrerequisites = [QuickStageName];

    /// <summary>
    /// The "quick" (L1.5) and "deep" (L2) stages over <see cref="VisionTier{TDescription}"/>. Needs AddVlm, AddImaging
    /// and the photo library (LibraryDatabase). Both stay unconfigured (no jobs) until Tiers:Quick:Enabled /
    /// Tiers:Deep:Enabled is true.
    /// </summary>
    public static IServiceCollection AddVisionStages(this IServiceCollection services, IConfiguration configuration)
    {
        // The VLM stages write full-text rows in a process that also runs libvips: see SqliteSymbolBinding. Done at
        // composition, the earliest point that is surely before libvips is initialised.
        Interop.Sqlite.SqliteSymbolBinding.BindBundledSqliteFirst();
        services.AddVlm(configuration);
        services.AddSingleton<IPhotoStage>(sp => Create<QuickDescription>(sp, QuickPrerequisites, c => c.Quick));
        services.AddSingleton<IPhotoStage>(sp => Create<DeepDescription>(sp, DeepPrerequisites, c => c.Deep));
        return services;
    }

    private static VisionStage<T> Create<T>(IServiceProvider services, IReadOnlyList<string> declared, Func<(int Quick, int Deep), int> workers)
        where T : class
    {
        var tiers = services.GetRequiredService<IOptions<TiersOptions>>().Value;
        var tier = services.GetRequiredService<VisionTier<T>>();
        return new VisionStage<T>(
            tier,
            new RegisteredPrerequisites(declared, services),
            workers(VisionStagePolicy.Concurrency(tiers.Quick, tiers.Deep)),
            services.GetRequiredService<ImagePreparation>(),
            services.GetRequiredService<LibraryDatabase>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateVlm.Vlm.Stages." + tier.Name));
    }

    /// <summary>
    /// The declared prerequisites that are registered in this process. "embedding" belongs to the L1 area, which a
    /// build may not include; a stage that is registered but not configured is skipped by <see cref="StageCatalog"/>
    /// itself. Read lazily: the stages are all constructed by the time the catalog asks.
    /// </summary>
    private sealed class RegisteredPrerequisites(IReadOnlyList<string> declared, IServiceProvider services) : IReadOnlyList<string>
    {
        private readonly Lazy<IReadOnlyList<string>> _present = new(() =>
        {
            var registered = services.GetServices<IPhotoStage>().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            return declared.Where(registered.Contains).ToList();
        });

        public int Count => _present.Value.Count;

        public string this[int index] => _present.Value[index];

        public IEnumerator<string> GetEnumerator() => _present.Value.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
