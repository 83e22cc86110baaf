using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Posix;

/// <summary>
/// Sending a signal, which .NET does not expose: Process.Kill is SIGKILL only, and a model server deserves a SIGTERM
/// first so it can release its memory mapping and port cleanly. SIGTERM is 15 on Linux and macOS alike.
/// </summary>
internal static partial class PosixSignals
{
    public const int SIGTERM = 15;

    /// <summary>True when the signal was delivered (false: no such process, or not ours).</summary>
    public static bool Terminate(int processId) => kill(processId, SIGTERM) == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
