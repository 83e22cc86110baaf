using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Posix;

/// <summary>The process's file-creation mask (umask), which .NET does not expose.</summary>
internal static partial class FileCreationMask
{
    private const uint GroupAndOthers = 0x3F; // octal 077

    /// <summary>Masks every permission for group and others from now on; returns the mask it replaced.</summary>
    public static uint ExcludeGroupAndOthers() =>
        umask(GroupAndOthers) & 0x1FF; // mode_t is 16 bits on macOS: keep only the permission bits of the reply

    [LibraryImport("libc")]
    private static partial uint umask(uint mask);
}
