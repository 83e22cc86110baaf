using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Posix;

/// <summary>
/// Asks the C library to open a file or folder and returns the errno, because .NET folds EPERM and EACCES into the
/// same UnauthorizedAccessException and they mean different things to a Mac user: EPERM is macOS privacy (TCC)
/// refusing this executable, EACCES is plain Unix permissions. Only non-variadic libc functions are used.
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

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr fopen(string path, string mode);

    [LibraryImport("libc")]
    private static partial int fclose(IntPtr file);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr opendir(string path);

    [LibraryImport("libc")]
    private static partial int closedir(IntPtr folder);
}
