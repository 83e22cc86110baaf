using PrivateVlm.Configuration;
using PrivateVlm.Embeddings.Runtime;

namespace PrivateVlm.Embeddings;

/// <summary>The "Embeddings" configuration section (PRIVATEVLM__Embeddings__IntraOpThreads=4 overrides it).</summary>
public sealed record EmbeddingsOptions
{
    public const string Section = "Embeddings";

    /// <summary>Folder of one CLIP model in the Immich layout; null means ModelsDirectory/ModelName.</summary>
    public string? ModelPath { get; set; }

    public string ModelName { get; set; } = "ViT-B-32__openai";

    /// <summary>Threads ONNX Runtime may use inside one encode; 2 leaves room for decoding and the VLM tiers on small machines.</summary>
    public int IntraOpThreads { get; set; } = 2;

    /// <summary>Most photos L1 encodes in one call when a backlog is waiting (also how many photos L1 works on at once).</summary>
    public int EncodeBatch { get; set; } = 4;

    /// <summary>Try the CoreML execution provider first (default on osx-arm64 only), falling back to CPU.</summary>
    public bool UseCoreML { get; set; } = OnnxSessionOptions.CoreMLPlatform;

    public string ModelFolder(AppPaths paths) => ModelPath ?? Path.Combine(paths.ModelsDirectory, ModelName);

    public OnnxSessionOptions SessionOptions(AppPaths paths) => new()
    {
        IntraOpThreads = IntraOpThreads,
        InterOpThreads = 1,
        PreferCoreML = UseCoreML,
        CoreMLCacheDirectory = UseCoreML ? Path.Combine(paths.CacheDirectory, "coreml") : null,
    };
}
