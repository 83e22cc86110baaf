using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Ingest;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// Thousands of photos appearing in the watched folder at once, the way a camera import or a synced album lands:
/// more events than the watcher can hold, so some are lost, and the rescan that follows must still record every photo
/// exactly once. The suite runs a smaller burst that still overflows; the soak is the same test at full size:
/// PRIVATEVLM_BURST_FILES=10000 dotnet test tests/PrivateVlm.Tests --filter TenThousandPhotosAppearingAtOnce
/// </summary>
[Collection(BurstCollection.Name)]
public sealed class BurstTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly ITestOutputHelper _output;

    public BurstTests(ITestOutputHelper output) => _output = output;

    [CorpusFact]
    public async Task Ten_thousand_photos_appearing_at_once_overflow_the_watcher_and_are_all_recorded_once()
    {
        var count = BurstSetting("PRIVATEVLM_BURST_FILES", 3000);

        // Small real camera JPEGs (a few KB each) with a unique trailer: distinct photos, cheap to write and read. They
        // land the way rsync, most sync clients and camera importers write: under a hidden temporary name in the
        // destination folder, then renamed to their real name.
        var sources = PhotoFactory.CorpusJpegs().OrderBy(p => new FileInfo(p).Length).Take(5).ToList();
        var burst = Path.Combine(_library.Inbox, "import");
        Directory.CreateDirectory(burst);
        var names = Enumerable.Range(0, count).Select(i => $"IMG_{i:D5}.jpg").ToList();
        string Temporary(int i) => Path.Combine(burst, $".{names[i]}.{i * 7919:x6}"); // rsync: .NAME.XXXXXX
        for (var i = 0; i < count; i++)
        {
            File.WriteAllBytes(Temporary(i), PhotoFactory.Variant(sources[i % sources.Count], i));
        }

        // L0 only. The watcher's backlog is cut to 16 events so the burst overflows it: each rename makes the watcher
        // look up the old name in the database (a recorded photo renamed is a move), which takes far longer than the
        // rename itself, so the events outrun it whatever the machine's load. The kernel's own inotify queue (16,384
        // events by default) rarely overflows while the daemon keeps draining it, and the default backlog (4,096)
        // seldom fills at this size.
        await using var daemon = await InProcessDaemon.StartAsync(_library, new Dictionary<string, string?>
        {
            ["Clustering:Enabled"] = "false",
            ["Watch:EventBacklog"] = "16",
        });
        var watcher = daemon.Services.GetRequiredService<FolderWatcher>();
        var reconciler = daemon.Services.GetRequiredService<FolderReconciler>();
        var gate = daemon.Services.GetRequiredService<StableFileGate>();
        await Eventually.AssertAsync(() => reconciler.ScansCompleted >= 1, "the start-up scan");
        Assert.Equal(0, _library.CountOrZero("SELECT count(*) FROM files")); // hidden temporary files are never read
        var scansBefore = reconciler.ScansCompleted;

        // Renames in one folder are atomic: the photos appear complete and as fast as the disk allows.
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            File.Move(Temporary(i), Path.Combine(burst, names[i]));
        }

        var appeared = clock.Elapsed;
        long Done() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state IN ('done', 'failed')");
        await Eventually.AssertAsync(
            () => Done() == count && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
            $"all {count} photos with L0 metadata",
            TimeSpan.FromSeconds(60 + (count / 20)),
            () => $"{Done()} done; {_library.CountOrZero("SELECT count(*) FROM files")} files; overflows {watcher.Overflows}; scans {reconciler.ScansCompleted}");
        var recorded = clock.Elapsed;

        Assert.True(watcher.Overflows >= 1, "the burst did not overflow the watcher: the test would not show the rescan at work");
        Assert.True(reconciler.ScansCompleted > scansBefore, "no rescan followed the overflow");
        Assert.Equal(_library.Inbox, reconciler.LastScan?.Folder);
        Assert.Equal(0, gate.Backlog);
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
        Assert.Equal(count, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Equal(count, _library.Scalar<long>("SELECT count(*) FROM files"));
        Assert.Equal(count, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        Assert.Equal(count, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'metadata'"));
        Assert.Equal(
            names.Select(n => Path.Combine(burst, n)).Order(StringComparer.Ordinal),
            _library.Query<string>("SELECT path FROM files WHERE status = 'present' AND photo_id IS NOT NULL").Order(StringComparer.Ordinal));
        Assert.Equal(count, Directory.EnumerateFiles(burst).Count());

        _output.WriteLine(
            $"burst: {count} photos appeared in {appeared.TotalSeconds:F2} s; watcher overflows {watcher.Overflows}, scans {reconciler.ScansCompleted - scansBefore}; " +
            $"all recorded with L0 after {recorded.TotalSeconds:F1} s ({count / recorded.TotalSeconds:F0} photos/s); lost 0, duplicated 0, failed 0");
        ReliabilityRow.ReportOneRun(
            _output, $"{count} photos appearing at once ({watcher.Overflows} watcher overflows, each followed by a rescan)", "last photo appeared to every photo with L0",
            _library, ["metadata"], daemons: 1, daemon.Crashed ? 1 : 0, [recorded - appeared]);
    }

    internal static int BurstSetting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    public void Dispose() => _library.Dispose();
}

/// <summary>Burst tests run alone: they use both cores, and one of them measures the process's managed heap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BurstCollection
{
    public const string Name = "bursts";
}
