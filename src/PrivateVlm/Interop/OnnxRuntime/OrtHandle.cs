using Microsoft.Win32.SafeHandles;

namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>Owns one long-lived ORT object (environment, session options, session, memory info) and releases it exactly once.</summary>
internal sealed unsafe class OrtHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly delegate* unmanaged<nint, void> release;

    public OrtHandle(nint handle, delegate* unmanaged<nint, void> release)
        : base(ownsHandle: true)
    {
        this.release = release;
        SetHandle(handle);
    }

    protected override bool ReleaseHandle()
    {
        release(handle);
        return true;
    }
}
