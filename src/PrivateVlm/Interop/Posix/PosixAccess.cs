using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Posix;

/// <summary>
/// File facts .NET does not expose. Opening through the C library returns the errno, because .NET folds EPERM and
/// EACCES into the same UnauthorizedAccessException and they mean different things to a Mac user: EPERM is macOS
/// privacy (TCC) refusing this executable, EACCES is plain Unix permissions. stat gives the inode. Only
/// non-variadic libc functions are used.
/// </summary>
internal static partial class PosixAccess
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EACCES = 13;

    /// <summary>0 when the file can be opened for reading, otherwise errno.</summary>
    public static int TryOpenFile(string path)
    {
        var file = fopen(path, "r");
        if (file == IntPtr.Zero)
        {
            return Marshal.GetLastPInvokeError();
        }

        _ = fclose(file);
        return 0;
    }

    /// <summary>0 when the folder can be listed, otherwise errno.</summary>
    public static int TryOpenFolder(string path)
    {
        var folder = opendir(path);
        if (folder == IntPtr.Zero)
        {
            return Marshal.GetLastPInvokeError();
        }

        _ = closedir(folder);
        return 0;
    }

    /// <summary>
    /// The file's inode number (null when it does not exist), to notice a file replaced under the same name.
    /// st_ino is the 8-byte field at offset 8 of struct stat on Linux x64/arm64 and on macOS arm64 (64-bit inodes);
    /// the buffer is larger than struct stat on all of them.
    /// </summary>
    public static ulong? Inode(string path)
    {
        Span<byte> buffer = stackalloc byte[512];
        return stat(path, ref MemoryMarshal.GetReference(buffer)) == 0
            ? BitConverter.ToUInt64(buffer.Slice(8, 8))
            : null;
    }

    /// <summary>
    /// False for pipes, sockets and devices (opening a FIFO to hash it would block forever); null when the file is
    /// gone or the platform's struct stat is not one this knows. st_mode is a u32 at offset 24 on Linux x64, a u32 at
    /// offset 16 on Linux arm64, and a u16 at offset 4 on macOS arm64.
    /// </summary>
    public static bool? IsRegularFile(string path)
    {
        int? offset = (OperatingSystem.IsLinux(), OperatingSystem.IsMacOS(), RuntimeInformation.ProcessArchitecture) switch
        {
            (true, _, Architecture.X64) => 24,
            (true, _, Architecture.Arm64) => 16,
            (_, true, Architecture.Arm64) => 4,
            _ => null,
        };
        Span<byte> buffer = stackalloc byte[512];
        if (offset is null || stat(path, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return null;
        }

        var mode = OperatingSystem.IsMacOS() ? BitConverter.ToUInt16(buffer.Slice(offset.Value, 2)) : BitConverter.ToUInt32(buffer.Slice(offset.Value, 4));
        const uint typeMask = 0xF000;
        const uint regular = 0x8000;
        return (mode & typeMask) == regular;
    }

    /// <summary>Returns freed native heap (libvips decode buffers, per-thread malloc arenas) to the system (glibc).</summary>
    public static void TrimNativeHeap()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = malloc_trim(0);
        }
    }

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int stat(string path, ref byte buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr fopen(string path, string mode);

    [LibraryImport("libc")]
    private static partial int fclose(IntPtr file);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr opendir(string path);

    [LibraryImport("libc")]
    private static partial int closedir(IntPtr folder);
}
