using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Configuration;
using PrivateVlm.Embeddings.Labelling;
using PrivateVlm.Embeddings.Pipeline;
using PrivateVlm.Embeddings.Search;

namespace PrivateVlm.Embeddings;

public static class EmbeddingsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Embeddings options and the CLIP model. The model (and with it ONNX Runtime) is opened on first
    /// resolve (not at startup) so `doctor` and `status` work on machines without the model.
    /// </summary>
    public static IServiceCollection AddEmbeddings(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EmbeddingsOptions>()
            .Bind(configuration.GetSection(EmbeddingsOptions.Section))
            .Validate(o => o.IntraOpThreads >= 1, "Embeddings:IntraOpThreads must be at least 1.")
            .Validate(o => o.EncodeBatch is >= 1 and <= 64, "Embeddings:EncodeBatch must be 1..64.");
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EmbeddingsOptions>>().Value;
            var paths = sp.GetService<AppPaths>() ?? AppPaths.ForCurrentUser();
            return ClipModel.Open(
                options.ModelFolder(paths), options.SessionOptions(paths),
                sp.GetService<ILoggerFactory>()?.CreateLogger<ClipModel>());
        });
        services.AddSingleton(_ => ZeroShotLabels.Everyday());
        services.AddSingleton(sp => new InstalledClipModel(
            sp.GetRequiredService<IOptions<EmbeddingsOptions>>().Value,
            sp.GetService<AppPaths>() ?? AppPaths.ForCurrentUser(),
            sp.GetRequiredService<ClipModel>));
        services.AddSingleton<LabelEmbeddingCache>();
        services.AddSingleton(sp => new ImageEncodeBatcher(
            () => sp.GetRequiredService<InstalledClipModel>().Open().Images, sp.GetRequiredService<IOptions<EmbeddingsOptions>>().Value.EncodeBatch));
        services.AddSingleton<PhotoSearch>();
        return services;
    }
}
