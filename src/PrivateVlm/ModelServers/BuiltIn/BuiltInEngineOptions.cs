namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// The "BuiltInEngine" configuration section: where the built-in engine (`privatevlm model-host`) finds each tier's
/// model files, and how it runs them. Supervision settings (restart backoff, expected start time, stop grace period,
/// log lines, the deep tier's idle stop) come from "ModelServers:&lt;Tier&gt;" exactly as for a configured server.
/// </summary>
public sealed record BuiltInEngineOptions
{
    public const string Section = "BuiltInEngine";

    /// <summary>Folder holding quick/ and deep/ (one language model *.gguf + one mmproj*.gguf each); null means
    /// &lt;models directory&gt;/vlm.</summary>
    public string? ModelsFolder { get; init; }

    public BuiltInTierOptions Quick { get; init; } = new();

    public BuiltInTierOptions Deep { get; init; } = new();
}

/// <summary>How the built-in engine runs one tier's model (BuiltInEngine:Quick, BuiltInEngine:Deep).</summary>
public sealed record BuiltInTierOptions
{
    /// <summary>Context tokens shared by the parallel sequences, as llama-server's -c; default 4,096 per sequence for
    /// quick (prompt ~450 + image ≤ 1,280 + answer ≤ 1,024) and 8,192 per sequence for deep (answer ≤ 3,072).</summary>
    public int? ContextSize { get; init; }

    /// <summary>Photos generated at once (llama-server's -np); default the tier's Concurrency.</summary>
    public int? Parallel { get; init; }

    /// <summary>Layers on the GPU; default all on Apple Silicon (Metal), none elsewhere.</summary>
    public int? GpuLayers { get; init; }

    /// <summary>CPU threads; default all cores.</summary>
    public int? Threads { get; init; }
}
