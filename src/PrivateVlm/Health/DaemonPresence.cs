namespace PrivateVlm.Health;

/// <summary>
/// Whether a daemon runs on a database, asked from another process: the daemon holds an exclusive lock on
/// "&lt;db&gt;.lock" for its whole life (see <see cref="Daemon.DaemonInstanceLock"/>), released by the kernel when it
/// dies, so being able to take the lock means nobody runs.
/// </summary>
public static class DaemonPresence
{
    public static bool IsRunning(string databasePath)
    {
        var path = databasePath + ".lock";
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return true; // someone else's daemon; it exists, even if we cannot tell more
        }
    }
}
