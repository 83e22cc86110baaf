using Microsoft.Data.Sqlite;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Daemon;

/// <summary>The database under the daemon disappears, is swapped, or runs out of space.</summary>
[Collection(DaemonProcessCollection.Name)]
public sealed class DatabaseFaultTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly ITestOutputHelper _output;

    public DatabaseFaultTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task ADeletedDatabaseStopsTheDaemonWithAClearErrorAndANonZeroExit()
    {
        using var daemon = DaemonProcess.Start(_library);
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM schema_migrations") > 0, "daemon up");

        File.Delete(_library.DatabasePath);

        Assert.Equal(1, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("was deleted while the daemon was running", daemon.Output);
    }

    [Fact]
    public async Task AReplacedDatabaseStopsTheDaemonWithAClearErrorAndANonZeroExit()
    {
        using var other = new TempLibrary();
        using (var first = DaemonProcess.Start(other))
        {
            await Eventually.AssertAsync(() => other.CountOrZero("SELECT count(*) FROM schema_migrations") > 0, "other library created");
            first.Terminate();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        using var daemon = DaemonProcess.Start(_library);
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM schema_migrations") > 0, "daemon up");

        File.Copy(other.DatabasePath, _library.DatabasePath + ".new");
        File.Move(_library.DatabasePath + ".new", _library.DatabasePath, overwrite: true);

        var exit = await Task.WhenAny(daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)), Task.Delay(TimeSpan.FromSeconds(31)));
        Assert.True(daemon.HasExited, "daemon still running: " + daemon.Output);
        Assert.Equal(1, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(1)));
        Assert.Contains("was replaced by another file", daemon.Output);
    }

    [CorpusFact]
    public async Task AFullDatabasePausesWithoutCorruptionAndResumesOnceThereIsRoom()
    {
        const int photoCount = 300;
        var sources = PhotoFactory.CorpusJpegs();
        var capped = new Dictionary<string, string>
        {
            ["PRIVATEVLM__Database__MaxSizeMegabytes"] = "0.2", // about 50 pages: fills up after some photos
            ["PRIVATEVLM__Daemon__ShutdownTimeout"] = "00:00:05",
        };
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
        }

        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
        Assert.True(_library.Scalar<long>("SELECT count(*) FROM photos") < photoCount);

        using (var daemon = DaemonProcess.Start(_library))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == photoCount, "everything processed once there is room", TimeSpan.FromSeconds(90));
            daemon.Terminate();
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
    }

    /// <summary>The database on a real file system that runs out of space: the kernel's ENOSPC, not a size cap. The
    /// daemon pauses, says so, and carries on by itself once the user frees space, without a restart.</summary>
    [SmallDiskFact]
    public async Task ARealFullDiskPausesTheDaemonAndItGoesOnByItselfOnceSpaceIsFreed()
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

        File.Delete(filler);
        var freed = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") > doneWhileFull, "a photo done once space was freed", TimeSpan.FromSeconds(30));
        var resumed = freed.Elapsed;
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == photoCount,
            "every photo processed once space was freed, without a restart", TimeSpan.FromSeconds(120),
            state: () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || count(*) FROM jobs GROUP BY stage, state")));
        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        // Not the photos' fault: no attempt was charged to any of them.
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM job_errors"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed' OR attempts > 1"));
        Assert.Contains("Disk full writing", daemon.Output);
        _output.WriteLine($"real full disk: {photoCount} photos, {doneWhileFull} done before the disk filled, lost 0, duplicated 0, " +
                          $"no attempt charged, integrity ok; space freed to the next photo done: {resumed.TotalSeconds:F1} s, without a restart");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _library.Dispose();
    }
}
