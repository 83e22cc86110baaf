namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>OrtErrorCode from onnxruntime_c_api.h; lets callers tell a bad model from a bad argument.</summary>
public enum OrtErrorCode
{
    None = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    ExecutionProviderFailure = 11,
}
