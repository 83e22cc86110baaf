using PrivateVlm.Interop.Posix;

namespace PrivateVlm.Configuration;

/// <summary>
/// The daemon's own files are created owner-only one by one (database, lock, pid files), but native libraries and
/// child processes create files too: ONNX Runtime's CoreML compiled-model cache, a supervised model server's files.
/// They follow the umask of whoever started the daemon (022 in a usual shell: readable by everyone), unless the daemon
/// narrows it. launchd's Umask key does the same for the agent; this covers `privatevlm run` from a terminal.
/// </summary>
public static class PrivateFileMode
{
    /// <summary>From now on nothing this process or its children create is readable by group or others.</summary>
    public static void ApplyToThisProcess()
    {
        if (!OperatingSystem.IsWindows())
        {
            FileCreationMask.ExcludeGroupAndOthers();
        }
    }
}
