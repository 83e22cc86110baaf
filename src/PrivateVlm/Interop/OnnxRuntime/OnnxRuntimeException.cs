namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>An ONNX Runtime failure with the runtime's own message (copied before the native status is released).</summary>
public class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException(string message, OrtErrorCode code = OrtErrorCode.Fail, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public OrtErrorCode Code { get; }
}

/// <summary>The native ONNX Runtime library could not be found or loaded; the message says how to install it.</summary>
public sealed class OnnxRuntimeNotFoundException(string message, IReadOnlyList<string> searched)
    : OnnxRuntimeException(message)
{
    public IReadOnlyList<string> Searched { get; } = searched;
}
