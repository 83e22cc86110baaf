using PrivateVlm.Tests.ModelHost;

namespace PrivateVlm.Tests.BuiltInEngine;

/// <summary>The tiny model installed as a tier's model in a models folder, the way models/README.md says a user does.</summary>
public static class InstalledTinyModel
{
    /// <summary>By symbolic link: the files are 16 MB and are never written.</summary>
    public static void InstallFor(string modelsFolder, string tier)
    {
        var folder = Path.Combine(modelsFolder, tier);
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(Path.Combine(folder, "tiny-qwen25vl-q8_0.gguf"), TinyModel.Model);
        File.CreateSymbolicLink(Path.Combine(folder, "mmproj-tiny-qwen25vl-f16.gguf"), TinyModel.Projector);
    }
}
