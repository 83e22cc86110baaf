namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>GraphOptimizationLevel from the C API.</summary>
public enum GraphOptimization
{
    Disabled = 0,
    Basic = 1,
    Extended = 2,
    All = 99,
}

/// <summary>
/// How a session runs. Two intra-op threads by default because the photo pipeline runs beside other work on small
/// machines; CoreML is tried only on macOS and falls back to the CPU provider when it is unavailable or refuses the model.
/// </summary>
public sealed record OnnxSessionOptions
{
    public int IntraOpThreads { get; init; } = 2;

    public int InterOpThreads { get; init; } = 1;

    public GraphOptimization Optimization { get; init; } = GraphOptimization.All;

    public bool PreferCoreML { get; init; } = OperatingSystem.IsMacOS();

    /// <summary>CoreML MLComputeUnits: CPUOnly, CPUAndGPU, CPUAndNeuralEngine or ALL.</summary>
    public string CoreMLComputeUnits { get; init; } = "ALL";

    /// <summary>Where CoreML may cache compiled models; null lets CoreML recompile each start.</summary>
    public string? CoreMLCacheDirectory { get; init; }
}
