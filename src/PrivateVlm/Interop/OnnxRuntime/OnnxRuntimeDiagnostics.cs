namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>What `privatevlm doctor` shows about ONNX Runtime: where it was found and what it offers, or why not and the fix.</summary>
public sealed record OnnxRuntimeDiagnostics(
    bool Available,
    string? LibraryPath,
    string? Version,
    IReadOnlyList<string> Providers,
    string? Error,
    string? Fix,
    IReadOnlyList<string> Searched);
