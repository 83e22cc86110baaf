using Microsoft.ML.OnnxRuntime;

namespace PrivateVlm.Embeddings.Runtime;

/// <summary>What `privatevlm doctor` shows about ONNX Runtime: the package's runtime version and providers, or why it cannot load.</summary>
public sealed record OnnxRuntimeDiagnostics(bool Available, string? Version, IReadOnlyList<string> Providers, string? Error)
{
    /// <summary>Never throws: loads the package's native library (once per process) and asks it what it is.</summary>
    public static OnnxRuntimeDiagnostics Read()
    {
        try
        {
            var environment = OnnxModel.Environment();
            return new OnnxRuntimeDiagnostics(true, environment.GetVersionString(), environment.GetAvailableProviders(), null);
        }
        catch (OnnxRuntimeUnavailableException e)
        {
            return new OnnxRuntimeDiagnostics(false, null, [], e.Message);
        }
    }
}
