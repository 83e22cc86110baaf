namespace PrivateVlm.Interop.Vips;

/// <summary>libvips is not installed or cannot be initialised: a machine problem, never a photo problem.</summary>
public sealed class VipsUnavailableException : Exception
{
    public VipsUnavailableException(string message) : base(message) { }
}
