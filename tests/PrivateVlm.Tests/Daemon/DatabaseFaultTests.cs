using Microsoft.Data.Sqlite;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Daemon;

/// <summary>The database under the daemon disappears, is swapped, or runs out of space.</summary>
[Collection(DaemonProcessCollection.Name)]
public sealed class DatabaseFaultTests : IDisposable
{
    private const int PhotosBeforeTheFault = 5;
    private readonly TempLibrary _library = new();
    private readonly ITestOutputHelper _output;

    public DatabaseFaultTests(ITestOutputHelper output) => _output = output;

    /// <summary>The daemon stops with exit 1 (launchd and systemd restart it on that), and the restarted daemon builds
    /// a new database from the folder: every photo is there again.</summary>
    [CorpusFact]
    public async Task A_deleted_database_stops_the_daemon_with_a_clear_error_and_a_non_zero_exit()
    {
        using var daemon = DaemonProcess.Start(_library);
        await DropPhotosAndWaitAsync();
        daemon.ExpectExit(1);

        var deleted = DateTimeOffset.UtcNow;
        File.Delete(_library.DatabasePath);

        Assert.Equal(1, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("was deleted while the daemon was running", daemon.Output);
        await RestartAndReportAsync("database file deleted under the daemon: exit 1, a clear message, restarted by the service manager", daemon, deleted);
    }

    /// <summary>
    /// A backup restored over the database while the daemon runs: it stops with exit 1, and the daemon restarted on
    /// the restored file finds it as it was restored, with the folder's photos read into it. The old file's pages still
    /// in its write-ahead log must not be laid over the new file (SQLite cannot tell the two apart): the stopping
    /// daemon writes them into the file they belong to and empties that log. A backup copied with a log of its own
    /// keeps it: its last commits are in there.
    /// </summary>
    [CorpusTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_replaced_database_stops_the_daemon_with_a_clear_error_and_a_non_zero_exit(bool restoredWithItsLog)
    {
        using var backup = new TempLibrary();
        using (var first = DaemonProcess.Start(backup))
        {
            backup.Drop(PhotoFactory.CorpusJpegs()[PhotosBeforeTheFault + 1], "only in the backup.jpg");
            await Eventually.AssertAsync(
                () => backup.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 1, "the backup's photo");
            // A daemon that stops cleanly folds its log into the file on the way out; one that died leaves its last
            // commits in the log, and a backup taken then holds both files.
            if (restoredWithItsLog)
            {
                first.Kill();
            }
            else
            {
                first.Terminate();
            }

            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var backupPhoto = Path.Combine(backup.Inbox, "only in the backup.jpg");

        using var daemon = DaemonProcess.Start(_library);
        await DropPhotosAndWaitAsync(); // what they wrote is in the log, not yet in the file
        Assert.True(new FileInfo(_library.DatabasePath + "-wal").Length > 0, "the test needs pages in the write-ahead log");
        daemon.ExpectExit(1);

        var replaced = DateTimeOffset.UtcNow;
        if (restoredWithItsLog)
        {
            Assert.True(new FileInfo(backup.DatabasePath + "-wal").Length > 0, "the backup's log holds its last commits");
            File.Copy(backup.DatabasePath + "-wal", _library.DatabasePath + "-wal.restored");
            File.Move(_library.DatabasePath + "-wal.restored", _library.DatabasePath + "-wal", overwrite: true);
        }

        File.Copy(backup.DatabasePath, _library.DatabasePath + ".restored");
        File.Move(_library.DatabasePath + ".restored", _library.DatabasePath, overwrite: true);

        Assert.Equal(1, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("was replaced by another file", daemon.Output);
        Assert.Contains("write-ahead log emptied", daemon.Output);
        Assert.Equal(
            restoredWithItsLog ? new FileInfo(backup.DatabasePath + "-wal").Length : 0,
            new FileInfo(_library.DatabasePath + "-wal").Length);

        await RestartAndReportAsync(
            $"database file replaced under the daemon (a backup restored{(restoredWithItsLog ? " with its own log" : "")}): exit 1, a clear message, restarted on the restored file",
            daemon, replaced, expectedDone: PhotosBeforeTheFault + 1);
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM files WHERE path = @backupPhoto", new { backupPhoto }));
    }

    [CorpusFact]
    public async Task A_full_database_pauses_without_corruption_and_resumes_once_there_is_room()
    {
        const int photoCount = 300;
        var sources = PhotoFactory.CorpusJpegs();
        var capped = new Dictionary<string, string>
        {
            ["PRIVATEVLM__Database__MaxSizeMegabytes"] = "0.2", // about 50 pages: fills up after some photos
            ["PRIVATEVLM__Daemon__ShutdownTimeout"] = "00:00:05",
        };
        var crashes = 0;
        using (var daemon = DaemonProcess.Start(_library, capped))
        {
            for (var i = 0; i < photoCount; i++)
            {
                _library.Write($"{i:D3}.jpg", PhotoFactory.Variant(sources[i % sources.Count], i));
            }

            await Eventually.AssertAsync(() => daemon.Output.Contains("Disk full", StringComparison.Ordinal), "the daemon reports the full disk", TimeSpan.FromSeconds(60));
            await Task.Delay(2000);
            Assert.False(daemon.HasExited, "a full disk pauses the daemon; it must not crash");
            daemon.Terminate();
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
            crashes += daemon.Crashed ? 1 : 0;
        }

        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
        Assert.True(_library.Scalar<long>("SELECT count(*) FROM photos") < photoCount);

        var roomMade = DateTimeOffset.UtcNow;
        using (var daemon = DaemonProcess.Start(_library))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == photoCount, "everything processed once there is room", TimeSpan.FromSeconds(90));
            daemon.Terminate();
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            crashes += daemon.Crashed ? 1 : 0;
        }

        ReliabilityRow.ReportOneRun(
            _output, "database at SQLite's size cap (0.2 MB): paused, stopped, restarted without the cap", "restart with room to the first job done",
            _library, ["metadata"], daemons: 2, crashes, [ReliabilityRow.FirstJobDone(_library, roomMade)]);
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
    }

    /// <summary>The database on a real file system that runs out of space: the kernel's ENOSPC, not a size cap. The
    /// daemon pauses, says so, and carries on by itself once the user frees space, without a restart.</summary>
    [SmallDiskFact]
    public async Task A_real_full_disk_pauses_the_daemon_and_it_goes_on_by_itself_once_space_is_freed()
    {
        const int photoCount = 200;
        using var disk = SmallDisk.Mount(Path.GetDirectoryName(_library.DatabasePath)!, megabytes: 16);
        var sources = PhotoFactory.CorpusJpegs();
        using var daemon = DaemonProcess.Start(_library, new Dictionary<string, string> { ["PRIVATEVLM__Daemon__ShutdownTimeout"] = "00:00:05" });
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM schema_migrations") > 0, "daemon up");

        var filler = disk.Fill(leftBytes: 512 * 1024);
        for (var i = 0; i < photoCount; i++)
        {
            _library.Write($"{i:D3}.jpg", PhotoFactory.Variant(sources[i % sources.Count], i));
        }

        await Eventually.AssertAsync(() => daemon.Output.Contains("Disk full", StringComparison.Ordinal), "the daemon reports the full disk", TimeSpan.FromSeconds(60));
        await Task.Delay(3000);
        Assert.False(daemon.HasExited, "a full disk pauses the daemon; it must not exit: " + daemon.Output);
        var doneWhileFull = _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'");
        Assert.True(doneWhileFull < photoCount, $"{doneWhileFull} photos done on a full disk: the disk was not full");
        Assert.Equal(0, _library.CountOrZero("SELECT count(*) FROM jobs WHERE state = 'failed'"));

        var freed = DateTimeOffset.UtcNow;
        File.Delete(filler);
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == photoCount,
            "every photo processed once space was freed, without a restart", TimeSpan.FromSeconds(120),
            state: () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || count(*) FROM jobs GROUP BY stage, state")));
        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        ReliabilityRow.ReportOneRun(
            _output, $"database on a 16 MB tmpfs filled to its last 512 KB while {photoCount} photos arrive ({doneWhileFull} done before it filled), space freed without a restart",
            "space freed to the next job done", _library, ["metadata"], daemons: 1, daemon.Crashed ? 1 : 0, [ReliabilityRow.FirstJobDone(_library, freed)]);
        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        // Not the photos' fault: no attempt was charged to any of them.
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM job_errors"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed' OR attempts > 1"));
        Assert.Contains("Disk full writing", daemon.Output);
    }

    /// <summary>A few photos, all through L0 and clustering, so the fault meets a working library.</summary>
    private async Task DropPhotosAndWaitAsync()
    {
        var sources = PhotoFactory.CorpusJpegs();
        for (var i = 0; i < PhotosBeforeTheFault; i++)
        {
            _library.Write($"{i:D3}.jpg", PhotoFactory.Variant(sources[i % sources.Count], i));
        }

        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == PhotosBeforeTheFault,
            "the photos processed before the fault", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// What launchd's KeepAlive or systemd's Restart=on-failure does after exit 1: start the daemon again. It finds
    /// the database it is given (a new one, or the file that replaced it) and reads every photo of the folder into it.
    /// </summary>
    private async Task RestartAndReportAsync(string scenario, DaemonProcess stopped, DateTimeOffset fault, int expectedDone = PhotosBeforeTheFault)
    {
        using var restarted = DaemonProcess.Start(_library);
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == expectedDone
                  && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
            "every photo of the folder in the restarted daemon's database", TimeSpan.FromSeconds(60), () => restarted.Output);
        restarted.Terminate();
        Assert.Equal(0, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        ReliabilityRow.ReportOneRun(
            _output, scenario, "fault to the first job the restarted daemon finished", _library, ["metadata", "clustering"],
            daemons: 2, (stopped.Crashed ? 1 : 0) + (restarted.Crashed ? 1 : 0), [ReliabilityRow.FirstJobDone(_library, fault)]);
        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _library.Dispose();
    }
}
