using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelHost;

/// <summary>../shared/models/tiny-qwen25vl: random weights with the real Qwen2.5-VL architecture, tokenizer and projector.</summary>
public static class TinyModel
{
    public static string Folder { get; } = Path.GetFullPath(Path.Combine(Corpus.RepositoryRoot, "..", "shared", "models", "tiny-qwen25vl"));

    public static string Model => Path.Combine(Folder, "model-q8_0.gguf");

    public static string Projector => Path.Combine(Folder, "mmproj-f16.gguf");

    public static bool IsPresent => File.Exists(Model) && File.Exists(Projector);

    public const string AbsentMessage = "../shared/models/tiny-qwen25vl (model-q8_0.gguf + mmproj-f16.gguf) is absent: real-engine model-host tests skipped";

    /// <summary>640x480 corpus photos: a few hundred image tokens each, so a test photo fits a small context.</summary>
    public static IReadOnlyList<string> Photos() =>
        Corpus.Files("near-dup/ukbench/base", "*.jpg").OrderBy(p => p, StringComparer.Ordinal).ToList();
}

/// <summary>A fact that runs the real engine on the tiny model; skipped with a clear message when it or the corpus is absent.</summary>
public sealed class TinyModelFactAttribute : FactAttribute
{
    public TinyModelFactAttribute()
    {
        if (!TinyModel.IsPresent)
        {
            Skip = TinyModel.AbsentMessage;
        }
        else if (!Corpus.IsPresent)
        {
            Skip = Corpus.AbsentMessage;
        }
    }
}
