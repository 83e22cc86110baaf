namespace PrivateVlm.Embeddings.Runtime;

/// <summary>ONNX Runtime could not load a model file (corrupt, truncated, not ONNX, unsupported operator set).</summary>
public sealed class OnnxModelException(string modelPath, string message, Exception? inner = null) : Exception(message, inner)
{
    public string ModelPath { get; } = modelPath;
}
