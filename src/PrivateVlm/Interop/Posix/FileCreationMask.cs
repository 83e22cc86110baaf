using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Posix;

/// <summary>The process's file-creation mask (umask), which .NET does not expose.</summary>
internal static partial class FileCreationMask
{
    private const uint GroupAndOthers = 0x3F; // octal 077

    /// <summary>Masks every permission for group and others from now on.</summary>
    public static void ExcludeGroupAndOthers() => _ = umask(GroupAndOthers);

    // mode_t is 32 bits on Linux and 16 on macOS; a 32-bit argument carries either, and the reply is not used.
    [LibraryImport("libc")]
    private static partial uint umask(uint mask);
}
