namespace PrivateVlm.Interop.Vips;

/// <summary>A libvips operation failed; the message carries libvips' own error text.</summary>
public sealed class VipsOperationException : Exception
{
    public VipsOperationException(string operation, string vipsError)
        : base($"{operation}: {vipsError}")
    {
        Operation = operation;
        VipsError = vipsError;
    }

    public string Operation { get; }

    public string VipsError { get; }
}
