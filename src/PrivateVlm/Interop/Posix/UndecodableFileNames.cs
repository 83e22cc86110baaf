using System.Runtime.InteropServices;
using System.Text;

namespace PrivateVlm.Interop.Posix;

/// <summary>
/// File names that are not valid UTF-8. Linux allows any bytes in a name (old archives, Latin-1 cameras, zip files);
/// macOS file systems do not. .NET decodes such a name with U+FFFD for each bad byte and can then neither stat nor
/// open it under that string. This finds the real entry by listing its folder with readdir, comparing names decoded
/// the same way, and stats it by its raw bytes, so the file can at least be recorded with a clear error instead of
/// silently vanishing. Linux only (glibc/musl struct layouts on x64 and arm64).
/// </summary>
internal static partial class UndecodableFileNames
{
    // struct dirent: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
    private const int DirentNameOffset = 19;

    // struct stat on Linux x64 and arm64 alike: st_size at 48, st_mtim (seconds, nanoseconds) at 88.
    private const int StatSizeOffset = 48;
    private const int StatModifiedOffset = 88;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when <paramref name="path"/> is how .NET spells a name it could not decode.</summary>
    public static bool LooksUndecoded(string path) => path.Contains('\uFFFD', StringComparison.Ordinal);

    /// <summary>Size and modification time of the entry whose undecodable name .NET shows as <paramref name="path"/>;
    /// null when there is none (or this is not Linux x64/arm64).</summary>
    public static (long Size, DateTime ModifiedUtc)? Stat(string path)
    {
        if (!OperatingSystem.IsLinux()
            || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)
            || !LooksUndecoded(path)
            || Path.GetDirectoryName(path) is not { Length: > 0 } folder)
        {
            return null;
        }

        var name = Path.GetFileName(path);
        foreach (var raw in RawNames(folder))
        {
            if (IsValidUtf8(raw) || Encoding.UTF8.GetString(raw) != name)
            {
                continue;
            }

            byte[] fullPath = [.. Encoding.UTF8.GetBytes(folder), (byte)'/', .. raw, 0];
            Span<byte> buffer = stackalloc byte[512];
            if (lstat(fullPath, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                return null;
            }

            var size = BitConverter.ToInt64(buffer.Slice(StatSizeOffset, 8));
            var seconds = BitConverter.ToInt64(buffer.Slice(StatModifiedOffset, 8));
            var nanoseconds = BitConverter.ToInt64(buffer.Slice(StatModifiedOffset + 8, 8));
            return (size, DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100));
        }

        return null;
    }

    private static List<byte[]> RawNames(string folder)
    {
        var names = new List<byte[]>();
        var handle = opendir(folder);
        if (handle == IntPtr.Zero)
        {
            return names;
        }

        try
        {
            for (var entry = readdir(handle); entry != IntPtr.Zero; entry = readdir(handle))
            {
                var start = entry + DirentNameOffset;
                var length = 0;
                while (length < 256 && Marshal.ReadByte(start, length) != 0)
                {
                    length++;
                }

                var name = new byte[length];
                Marshal.Copy(start, name, 0, length);
                names.Add(name);
            }
        }
        finally
        {
            _ = closedir(handle);
        }

        return names;
    }

    private static bool IsValidUtf8(byte[] name)
    {
        try
        {
            _ = StrictUtf8.GetCharCount(name);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int lstat(byte[] path, ref byte buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr opendir(string path);

    [LibraryImport("libc", SetLastError = true)]
    private static partial IntPtr readdir(IntPtr folder);

    [LibraryImport("libc")]
    private static partial int closedir(IntPtr folder);
}
