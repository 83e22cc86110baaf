namespace PrivateVlm.ModelHost.Engine;

/// <summary>llama.cpp could not evaluate a batch (no KV space, a native error): the request fails as a server error.</summary>
public sealed class EngineFailureException(string message) : Exception(message);
