using System.Diagnostics;

namespace PrivateVlm.Tests.Support;

/// <summary>
/// A real, small file system (a tmpfs of a few MB mounted over a folder) that a test can fill and free, so a database
/// on it meets ENOSPC from the kernel rather than a size cap of SQLite's own. Mounting needs root on Linux.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string mountPoint) => MountPoint = mountPoint;

    public string MountPoint { get; }

    /// <summary>Null when this machine cannot mount one (not Linux, not root); <see cref="Unavailable"/> says why.</summary>
    public static string? Unavailable =>
        !OperatingSystem.IsLinux() ? "mounting a small tmpfs needs Linux"
        : Environment.UserName != "root" ? "mounting a small tmpfs needs root (CI runs as root); the size-capped test covers SQLITE_FULL meanwhile"
        : null;

    public static SmallDisk Mount(string mountPoint, int megabytes)
    {
        Directory.CreateDirectory(mountPoint);
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", mountPoint);
        return new SmallDisk(mountPoint);
    }

    public long FreeBytes => new DriveInfo(MountPoint).AvailableFreeSpace;

    /// <summary>Takes all but <paramref name="leftBytes"/> of the free space with one file.</summary>
    public string Fill(long leftBytes)
    {
        var filler = Path.Combine(MountPoint, "filler");
        var size = Math.Max(0, FreeBytes - leftBytes);
        // Written out, not SetLength: a sparse file would take no blocks.
        var buffer = new byte[1 << 20];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write);
        for (long written = 0; written < size; written += buffer.Length)
        {
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }

        return filler;
    }

    public void Dispose()
    {
        // Lazy: a daemon the test failed to stop may still hold a file open.
        Run("umount", "-l", MountPoint);
    }

    private static void Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
        }
    }
}

/// <summary>A corpus fact that mounts a <see cref="SmallDisk"/>; skipped with the reason where it cannot.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        Skip = !Corpus.IsPresent ? Corpus.AbsentMessage : SmallDisk.Unavailable;
    }
}
