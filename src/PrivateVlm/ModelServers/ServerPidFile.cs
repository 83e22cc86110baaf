using System.Diagnostics;
using System.Globalization;
using PrivateVlm.Interop.Posix;

namespace PrivateVlm.ModelServers;

/// <summary>
/// "&lt;db&gt;.&lt;tier&gt;-server.pid": the supervised server's pid and start time, so a daemon that was killed
/// with SIGKILL (and so could not stop its server) finds the orphan at its next start and stops it, instead of
/// meeting a port in use and a server still holding tens of gigabytes. The start time guards against a reused pid.
/// </summary>
public sealed class ServerPidFile(string path)
{
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    public string Path { get; } = path;

    public static ServerPidFile For(string databasePath, string tier) => new($"{databasePath}.{tier}-server.pid");

    /// <summary>Best effort: a pid file that cannot be written (disk full) only loses the orphan clean-up.</summary>
    public void Record(int processId, DateTimeOffset? startedAt)
    {
        try
        {
            Write(processId, startedAt);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void Write(int processId, DateTimeOffset? startedAt)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(new FileStream(Path, options));
        writer.Write(string.Create(CultureInfo.InvariantCulture, $"{processId}\n{startedAt?.UtcTicks ?? 0}\n"));
    }

    public void Clear()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Stops the server a previous daemon left running (SIGTERM, SIGKILL after <paramref name="grace"/>).
    /// Returns its pid, or null when there was none (no file, process gone, or the pid now belongs to another).</summary>
    public int? StopOrphan(TimeSpan grace)
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            var lines = File.ReadAllLines(Path);
            if (lines.Length < 2 || !int.TryParse(lines[0], CultureInfo.InvariantCulture, out var pid)
                || !long.TryParse(lines[1], CultureInfo.InvariantCulture, out var ticks))
            {
                return null;
            }

            using var process = Process.GetProcessById(pid);
            var startedAt = process.StartTime.ToUniversalTime();
            if (ticks == 0 || (startedAt - new DateTime(ticks, DateTimeKind.Utc)).Duration() > StartTimeTolerance)
            {
                return null; // the pid was reused by an unrelated process
            }

            if (OperatingSystem.IsWindows() || !PosixSignals.Terminate(pid) || !process.WaitForExit(grace))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
            }

            return pid;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return null; // gone already, or not ours
        }
        finally
        {
            Clear();
        }
    }
}
