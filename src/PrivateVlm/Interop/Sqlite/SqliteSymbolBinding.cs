using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Sqlite;

/// <summary>
/// Keeps Microsoft.Data.Sqlite's bundled SQLite (libe_sqlite3) calling its own functions on Linux. libvips loads its
/// optional modules with global symbols, and vips-openslide links the system libsqlite3: once it is loaded, every
/// not-yet-bound call inside libe_sqlite3 to an exported sqlite3_* function (FTS5 calls sqlite3_value_text and friends
/// through the PLT) binds to the OTHER SQLite, whose structures differ: "database disk image is malformed", "API
/// misuse" or a crash on the first full-text insert. Loading libe_sqlite3 first with RTLD_NOW | RTLD_GLOBAL binds all
/// its calls to itself at once, before libvips can load anything. macOS uses two-level namespaces: not affected.
/// </summary>
public static partial class SqliteSymbolBinding
{
    private const int RtldNow = 0x002;
    private const int RtldGlobal = 0x100;
    private static int _done;

    /// <summary>Call before libvips is initialised; idempotent. Returns the library bound, or null when not needed or not found.</summary>
    public static string? BindBundledSqliteFirst()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _done, 1) == 1)
        {
            return null;
        }

        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            _ => RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        };
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "libe_sqlite3.so"),
            Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{arch}", "native", "libe_sqlite3.so"),
        };
        foreach (var path in candidates.Where(File.Exists))
        {
            if (Open(path, RtldNow | RtldGlobal) != IntPtr.Zero)
            {
                return path; // the handle stays open for the life of the process on purpose
            }
        }

        return null;
    }

    private static IntPtr Open(string path, int flags)
    {
        try
        {
            return DlopenLibc(path, flags);
        }
        catch (EntryPointNotFoundException)
        {
            return DlopenLibdl(path, flags); // glibc before 2.34 keeps dlopen in libdl
        }
        catch (DllNotFoundException)
        {
            return DlopenLibdl(path, flags);
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlopenLibc(string path, int flags);

    [LibraryImport("libdl.so.2", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlopenLibdl(string path, int flags);
}
