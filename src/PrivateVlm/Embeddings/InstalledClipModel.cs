using PrivateVlm.Configuration;
using PrivateVlm.Embeddings.Runtime;

namespace PrivateVlm.Embeddings;

/// <summary>
/// Whether this machine can run L1, decided cheaply and once: the configured model folder validates and ONNX Runtime
/// loads. The sessions themselves are opened only when a photo or a query needs them, so `status` stays fast.
/// </summary>
public sealed class InstalledClipModel
{
    private readonly Lazy<(ClipModelFolder? Folder, string? Problem)> _check;
    private readonly Lazy<ClipModel> _open;

    public InstalledClipModel(EmbeddingsOptions options, AppPaths paths, Func<ClipModel> open)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        Options = options;
        Paths = paths;
        _check = new Lazy<(ClipModelFolder?, string?)>(() => Check(options, paths), LazyThreadSafetyMode.ExecutionAndPublication);
        // Not cached on failure: a model that failed to open (a download still being copied in) may open on a later try.
        _open = new Lazy<ClipModel>(open, LazyThreadSafetyMode.PublicationOnly);
    }

    public EmbeddingsOptions Options { get; }

    public AppPaths Paths { get; }

    public bool IsInstalled => _check.Value.Folder is not null;

    /// <summary>Why L1 cannot run here (which folder or library is missing and how to fix it), or null.</summary>
    public string? Problem => _check.Value.Problem;

    /// <summary>The validated folder; throws <see cref="ClipModelException"/> with <see cref="Problem"/> when not installed.</summary>
    public ClipModelFolder Folder => _check.Value.Folder ?? throw new ClipModelException(_check.Value.Problem!);

    /// <summary>Both encoders, opened on first call (seconds for a real model).</summary>
    public ClipModel Open() => _open.Value;

    private static (ClipModelFolder?, string?) Check(EmbeddingsOptions options, AppPaths paths)
    {
        ClipModelFolder folder;
        try
        {
            folder = ClipModelFolder.Read(options.ModelFolder(paths));
        }
        catch (ClipModelException e)
        {
            return (null, e.Message);
        }

        try
        {
            OnnxModel.Environment();
        }
        catch (OnnxRuntimeUnavailableException e)
        {
            return (null, $"CLIP model {folder.Name} is installed but ONNX Runtime is not usable: {e.Message}");
        }

        return (folder, null);
    }
}
