using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Vips;

/// <summary>
/// GLib's GValue on 64-bit platforms: the GType, then two 8-byte data slots. It must start zeroed before
/// g_value_init and be released with g_value_unset.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
internal struct GValue
{
    public nint GType;
    public long Data0;
    public long Data1;
}

/// <summary>Fundamental GTypes (G_TYPE_MAKE_FUNDAMENTAL(n) = n &lt;&lt; 2), stable across GLib versions.</summary>
internal static class GTypes
{
    public const nint Boolean = 20;
    public const nint Int = 24;
    public const nint UInt64 = 44;
    public const nint Enum = 48;
    public const nint Flags = 52;
    public const nint Double = 60;
    public const nint String = 64;
    public const nint Boxed = 72;
    public const nint Object = 80;
}
