namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>ONNX Runtime could not load a model file (corrupt, truncated, not ONNX, unsupported operator set).</summary>
public sealed class OnnxModelException(string modelPath, string message, OrtErrorCode code, Exception? inner = null)
    : OnnxRuntimeException(message, code, inner)
{
    public string ModelPath { get; } = modelPath;
}

/// <summary>The tensors passed to a run do not match what the model declares (name, element type or shape).</summary>
public sealed class OnnxInputException(string message) : ArgumentException(message);
