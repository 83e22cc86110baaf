namespace PrivateVlm.Embeddings.Runtime;

/// <summary>The tensors passed to a run do not match what the model declares (name, element type or shape).</summary>
public sealed class OnnxInputException(string message) : ArgumentException(message);
