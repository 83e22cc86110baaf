using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.BuiltInEngine;

/// <summary>
/// The random-weight Qwen2.5-VL in ../shared/models/tiny-qwen25vl (real architecture, tokenizer and projector), and
/// a skip for tests that need it when it is absent.
/// </summary>
public static class TinyModel
{
    public static string Folder => Path.Combine(Corpus.RepositoryRoot, "..", "shared", "models", "tiny-qwen25vl");

    public static string ModelPath => Path.Combine(Folder, "model-q8_0.gguf");

    public static string ProjectorPath => Path.Combine(Folder, "mmproj-f16.gguf");

    public static bool IsPresent => File.Exists(ModelPath) && File.Exists(ProjectorPath);

    public const string AbsentMessage =
        "needs the tiny model: ../shared/models/tiny-qwen25vl/model-q8_0.gguf and mmproj-f16.gguf (see its README.md)";

    /// <summary>Installs the tiny model as a tier's model in a models folder (the layout of models/README.md), by
    /// symbolic link: the files are 16 MB and never written.</summary>
    public static void InstallFor(string modelsFolder, string tier)
    {
        var folder = Path.Combine(modelsFolder, tier);
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(Path.Combine(folder, "tiny-qwen25vl-q8_0.gguf"), Path.GetFullPath(ModelPath));
        File.CreateSymbolicLink(Path.Combine(folder, "mmproj-tiny-qwen25vl-f16.gguf"), Path.GetFullPath(ProjectorPath));
    }
}

/// <summary>A fact that needs the tiny model; skipped with a message naming the files when they are absent.</summary>
public sealed class TinyModelFactAttribute : FactAttribute
{
    public TinyModelFactAttribute()
    {
        if (!TinyModel.IsPresent)
        {
            Skip = TinyModel.AbsentMessage;
        }
    }
}
