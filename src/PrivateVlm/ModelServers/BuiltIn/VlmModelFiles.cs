namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// One tier's model as installed in the models folder: &lt;folder&gt;/&lt;tier&gt;/ holds exactly one language model
/// (*.gguf) and one multimodal projector (mmproj*.gguf), the two files llama.cpp's converters and the GGUF
/// repositories on Hugging Face publish for a vision model.
/// </summary>
public sealed record VlmModelFiles(string Folder, string ModelPath, long ModelBytes, string ProjectorPath, long ProjectorBytes)
{
    /// <summary>The model id the built-in engine serves: the language model's file name without ".gguf".</summary>
    public string ModelId => Path.GetFileNameWithoutExtension(ModelPath);

    /// <summary>What a tier's model folder holds.</summary>
    public sealed record Finding(VlmModelFiles? Files, string? Problem)
    {
        /// <summary>Nothing installed there (no folder, or no *.gguf in it): the tier simply has no built-in model.</summary>
        public bool Absent => Files is null && Problem is null;
    }

    public static Finding Find(string modelsFolder, string tier)
    {
        var folder = Path.Combine(modelsFolder, tier);
        if (!Directory.Exists(folder))
        {
            return new Finding(null, null);
        }

        List<FileInfo> ggufs;
        try
        {
            ggufs = new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.TopDirectoryOnly)
                .Where(f => f.Extension.Equals(".gguf", StringComparison.OrdinalIgnoreCase) && !f.Name.StartsWith('.'))
                .OrderBy(f => f.Name, StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return new Finding(null, $"{folder} cannot be listed: {e.Message}");
        }

        if (ggufs.Count == 0)
        {
            return new Finding(null, null);
        }

        var projectors = ggufs.Where(f => f.Name.StartsWith("mmproj", StringComparison.OrdinalIgnoreCase)).ToList();
        var models = ggufs.Except(projectors).ToList();
        string Names(IEnumerable<FileInfo> files) => string.Join(", ", files.Select(f => f.Name));
        return (models.Count, projectors.Count) switch
        {
            (1, 1) => new Finding(new VlmModelFiles(folder, models[0].FullName, SizeOf(models[0]), projectors[0].FullName, SizeOf(projectors[0])), null),
            (0, _) => new Finding(null, $"{folder} has a projector ({Names(projectors)}) but no language model *.gguf"),
            (_, 0) => new Finding(null, $"{folder} has {Names(models)} but no multimodal projector (a file named mmproj*.gguf)"),
            (> 1, _) => new Finding(null, $"{folder} has {models.Count} language models ({Names(models)}); keep one (split models: merge them with llama-gguf-split --merge)"),
            _ => new Finding(null, $"{folder} has {projectors.Count} projectors ({Names(projectors)}); keep the one made for {models[0].Name}"),
        };
    }

    /// <summary>The size of the file a symbolic link points at (models are often linked from a download cache).</summary>
    private static long SizeOf(FileInfo file) =>
        file.LinkTarget is null ? file.Length : file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target ? target.Length : 0;
}
