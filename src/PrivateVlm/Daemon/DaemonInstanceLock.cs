namespace PrivateVlm.Daemon;

/// <summary>
/// One daemon per database. Held for the process lifetime as an exclusive lock on "&lt;db&gt;.lock" (flock on Unix,
/// released by the kernel when the process dies, even by SIGKILL), which is what lets start-up recovery treat every
/// 'running' job as orphaned.
/// </summary>
public sealed class DaemonInstanceLock : IDisposable
{
    private readonly FileStream _stream;

    private DaemonInstanceLock(FileStream stream) => _stream = stream;

    public static DaemonInstanceLock Acquire(string databasePath)
    {
        var path = databasePath + ".lock";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            return new DaemonInstanceLock(new FileStream(path, options));
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"Another PrivateVlm daemon is already running on {databasePath} (lock file {path} is held).", e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
