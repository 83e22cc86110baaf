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
