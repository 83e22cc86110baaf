namespace PrivateVlm.ModelHost;

/// <summary>
/// What `privatevlm model-host` serves and how: one GGUF language model and its multimodal projector, on a loopback
/// port, with llama-server's meaning for the shared settings (<c>--ctx-size</c> is split between the
/// <c>--parallel</c> sequences, like <c>-c</c> and <c>-np</c>).
/// </summary>
public sealed record ModelHostOptions
{
    public required string ModelPath { get; init; }

    public required string ProjectorPath { get; init; }

    public required int Port { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The id GET /v1/models lists; the model file's name when not given.</summary>
    public string? Alias { get; init; }

    public int ContextSize { get; init; } = 8192;

    public int Parallel { get; init; } = 1;

    /// <summary>CPU threads for generation and image encoding; all cores when not given.</summary>
    public int? Threads { get; init; }

    /// <summary>Layers offloaded to the GPU (Metal on Apple Silicon); all of them there by default, none elsewhere.</summary>
    public int? GpuLayers { get; init; }

    /// <summary>Characters of a schema string that gives no maxLength (see <see cref="Grammar.GrammarLimits"/>).</summary>
    public int MaxStringLength { get; init; } = Grammar.GrammarLimits.Default.MaxStringLength;

    public string ModelId => string.IsNullOrWhiteSpace(Alias) ? Path.GetFileName(ModelPath) : Alias;

    /// <summary>Tokens one sequence may hold (prompt and answer), as llama-server's per-slot context.</summary>
    public int SlotContext => SlotShare(ContextSize, Parallel);

    /// <summary>KV cache cells the engine allocates: every sequence's share (llama-server's -c) plus one more share for
    /// the cached prompt prefix, which stays in the cache while no request uses it. The daemon's memory estimate uses
    /// the same count.</summary>
    public static int CacheCells(int contextSize, int parallel) => contextSize + SlotShare(contextSize, parallel);

    private static int SlotShare(int contextSize, int parallel) => Math.Max(256, contextSize / Math.Max(1, parallel));

    public int EffectiveThreads => Threads is > 0 ? Threads.Value : Math.Max(1, Environment.ProcessorCount);

    public int EffectiveGpuLayers => GpuLayers ?? (OperatingSystem.IsMacOS() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? 999 : 0);
}
