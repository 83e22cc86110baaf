using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Sqlite;

/// <summary>
/// Keeps the bundled SQLite (e_sqlite3, what Microsoft.Data.Sqlite uses) from being mixed up with the system's
/// libsqlite3 on Linux. Debian's libvips loads its openslide module, which pulls libsqlite3.so.0 into the process's
/// global symbol scope. e_sqlite3 is loaded lazily bound, so its own internal calls to exported sqlite3_* functions
/// that were not yet resolved then bind to the system library instead: e_sqlite3 is never initialised and the next
/// open calls a NULL allocator (SIGSEGV). Loading e_sqlite3 first with RTLD_NOW | RTLD_DEEPBIND makes every one of its
/// references resolve inside itself, whatever is loaded later. macOS's two-level namespaces cannot mix symbols this
/// way, so nothing is needed there.
/// </summary>
internal static partial class SqliteIsolation
{
    private const int RtldNow = 0x2;
    private const int RtldDeepBind = 0x8; // glibc, x86_64 and aarch64

    private static int s_done;

    /// <summary>Runs before any code of this assembly, so before the daemon, a verb or a test opens SQLite or libvips.</summary>
#pragma warning disable CA2255 // A module initializer is the only hook that runs before every first use of SQLite.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_done, 1) == 1)
        {
            return;
        }

        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate) && dlopen(candidate, RtldNow | RtldDeepBind) != 0)
            {
                return; // Microsoft.Data.Sqlite's later load of the same file returns this handle
            }
        }
    }

    private static IEnumerable<string> Candidates()
    {
        var arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
        yield return Path.Combine(AppContext.BaseDirectory, "libe_sqlite3.so"); // published for one RID
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{arch}", "native", "libe_sqlite3.so");
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string path, int flags);
}
