using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace PrivateVlm.Embeddings.Runtime;

/// <summary>
/// How a model runs. Two intra-op threads by default because the photo pipeline runs beside other work on small
/// machines. CoreML is asked for only where the package ships it (macOS on Apple silicon); when CoreML is missing from
/// the build or refuses the model, the session runs on the CPU provider instead.
/// </summary>
public sealed record OnnxSessionOptions
{
    /// <summary>True on osx-arm64, the only platform whose ONNX Runtime package library carries the CoreML provider.</summary>
    public static bool CoreMLPlatform => OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    public int IntraOpThreads { get; init; } = 2;

    public int InterOpThreads { get; init; } = 1;

    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    public bool PreferCoreML { get; init; } = CoreMLPlatform;

    /// <summary>CoreML MLComputeUnits: CPUOnly, CPUAndGPU, CPUAndNeuralEngine or ALL.</summary>
    public string CoreMLComputeUnits { get; init; } = "ALL";

    /// <summary>Where CoreML may cache compiled models; null lets CoreML recompile each start.</summary>
    public string? CoreMLCacheDirectory { get; init; }
}
