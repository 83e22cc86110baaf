namespace PrivateVlm.Embeddings.Runtime;

/// <summary>
/// ONNX Runtime's native library, which comes with the Microsoft.ML.OnnxRuntime package, could not be loaded on this
/// machine (a platform the package has no library for, or a library the system loader refuses).
/// </summary>
public sealed class OnnxRuntimeUnavailableException(string message, Exception inner) : Exception(message, inner);
