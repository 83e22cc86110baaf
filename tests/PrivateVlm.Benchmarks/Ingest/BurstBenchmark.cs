using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.Benchmarks.Support;
using PrivateVlm.Ingest;

namespace PrivateVlm.Benchmarks.Ingest;

/// <summary>
/// Bursts, on the daemon's real composition hosted in this process (so its counters can be read):
/// (1) N distinct photos renamed into the watched folder at once, with the default event backlog and with a backlog of
/// 16 that forces the overflow path: time until every photo is recorded (identity) and has its L0 row, overflows, scans;
/// (2) reconciliation of a folder of 100,000 entries and of 10,000 as the reference measured in the same run: first pass
/// (all new), rescan (all known), peak RSS and managed heap growth while each runs.
/// </summary>
public sealed class BurstBenchmark : IFigureBenchmark
{
    public string Name => "burst";

    public string Description => "N photos appearing at once (overflow or not) and reconciling 100,000 entries vs 10,000 (args: [photos] [entries, 0 = burst only])";

    public async Task<int> RunAsync(string[] args)
    {
        var photos = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var entries = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        Console.WriteLine($"photos: {photos}; entries: {entries} (reference {entries / 10}); L0 only (clustering off), stability window 300 ms");

        foreach (var backlog in new[] { new WatchOptions().EventBacklog, 16 })
        {
            await BurstAsync(photos, backlog);
        }

        if (entries > 0)
        {
            await ReconcileAsync(entries / 10);
            await ReconcileAsync(entries);
        }

        return 0;
    }

    private static async Task BurstAsync(int count, int backlog)
    {
        var work = BenchmarkCorpus.TempFolder("burst");
        try
        {
            var sources = BenchmarkCorpus.Photos().Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
                .OrderBy(p => new FileInfo(p).Length).Take(5).Select(File.ReadAllBytes).ToList();
            var staging = Path.Combine(work, "staging");
            Directory.CreateDirectory(staging);
            for (var i = 0; i < count; i++)
            {
                var trailer = System.Text.Encoding.ASCII.GetBytes($"burst-copy-{i:D6}");
                File.WriteAllBytes(Path.Combine(staging, $"IMG_{i:D6}.jpg"), [.. sources[i % sources.Count], .. trailer]);
            }

            var inbox = Path.Combine(work, "inbox");
            var import = Path.Combine(inbox, "import");
            Directory.CreateDirectory(import);
            using var host = await StartAsync(inbox, work, new() { ["Watch:EventBacklog"] = backlog.ToString(CultureInfo.InvariantCulture) });
            var watcher = host.Services.GetRequiredService<FolderWatcher>();
            var reconciler = host.Services.GetRequiredService<FolderReconciler>();
            var gate = host.Services.GetRequiredService<StableFileGate>();
            await WaitAsync(() => reconciler.ScansCompleted >= 1, TimeSpan.FromSeconds(60));
            var scansBefore = reconciler.ScansCompleted;

            var clock = Stopwatch.StartNew();
            foreach (var file in Directory.EnumerateFiles(staging).ToList())
            {
                File.Move(file, Path.Combine(import, Path.GetFileName(file)));
            }

            var appeared = clock.Elapsed;
            var database = Path.Combine(work, "privatevlm.db");
            await WaitAsync(() => Count(database, "SELECT count(*) FROM files WHERE status = 'present' AND photo_id IS NOT NULL") >= count, TimeSpan.FromMinutes(10));
            var recorded = clock.Elapsed;
            await WaitAsync(() => Count(database, "SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state IN ('done', 'failed')") >= count, TimeSpan.FromMinutes(10));
            var analysed = clock.Elapsed;
            var photos = Count(database, "SELECT count(*) FROM photos");
            var failed = Count(database, "SELECT count(*) FROM jobs WHERE state = 'failed'");
            var doubled = Count(database, "SELECT count(*) FROM (SELECT photo_id FROM jobs WHERE stage = 'metadata' GROUP BY photo_id HAVING count(*) > 1)");

            Console.WriteLine(
                $"burst, event backlog {backlog}: {count} photos renamed in within {appeared.TotalSeconds:F2} s; overflowed: {(watcher.Overflows > 0 ? "yes" : "no")} " +
                $"({watcher.Overflows} overflows, {reconciler.ScansCompleted - scansBefore} full scans after it); gate held at most {gate.HighWaterMark} paths");
            Console.WriteLine(
                $"  all recorded (identity) after {recorded.TotalSeconds:F2} s = {count / recorded.TotalSeconds:F0} files/s; " +
                $"all with L0 metadata after {analysed.TotalSeconds:F2} s = {count / analysed.TotalSeconds:F0} photos/s; " +
                $"photos {photos}, lost {count - photos}, duplicated analyses {doubled}, failed {failed}");
            await host.StopAsync();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task ReconcileAsync(int count)
    {
        var work = BenchmarkCorpus.TempFolder("reconcile");
        try
        {
            var inbox = Path.Combine(work, "inbox");
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                var folder = Path.Combine(inbox, $"{i / 1000:D3}");
                if (i % 1000 == 0)
                {
                    Directory.CreateDirectory(folder);
                }

                File.Create(Path.Combine(folder, $"IMG_{i:D6}.jpg")).Dispose(); // empty: listed, looked up and recorded, never hashed
            }

            Console.WriteLine($"reconcile {count} entries (100 folders of 1,000 empty files), created in {clock.Elapsed.TotalSeconds:F1} s");
            var database = Path.Combine(work, "privatevlm.db");
            var baseline = MemorySampler.Start();
            using var host = await StartAsync(inbox, work, []);
            var reconciler = host.Services.GetRequiredService<FolderReconciler>();
            var gate = host.Services.GetRequiredService<StableFileGate>();
            await WaitAsync(() => reconciler.ScansCompleted >= 1 && Count(database, "SELECT count(*) FROM files") >= count && gate.Backlog == 0, TimeSpan.FromMinutes(20));
            var first = baseline.Stop();
            Console.WriteLine(
                $"  first pass (start-up scan, all new; incl. host start): {first.Elapsed.TotalSeconds:F2} s = {count / first.Elapsed.TotalSeconds:F0} entries/s; " +
                $"scan held at most {reconciler.LastScan!.LargestBatch} paths, gate at most {gate.HighWaterMark}; {first}");

            var timed = await RescanAsync(reconciler, MemorySampler.Start());
            Console.WriteLine($"  rescan (all known, unchanged): {timed.Summary.Elapsed.TotalSeconds:F2} s = {count / timed.Summary.Elapsed.TotalSeconds:F0} entries/s; " +
                              $"new or changed {timed.Summary.Observed}, gone {timed.Summary.Gone}; {timed.Memory}");
            var live = await RescanAsync(reconciler, MemorySampler.Start(liveHeap: true));
            Console.WriteLine($"  rescan sampled with full collections: {live.Memory}");
            await host.StopAsync();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<(ReconcileSummary Summary, MemorySampler.Figures Memory)> RescanAsync(FolderReconciler reconciler, MemorySampler sampler)
    {
        var before = reconciler.ScansCompleted;
        reconciler.RequestScan();
        await WaitAsync(() => reconciler.ScansCompleted > before, TimeSpan.FromMinutes(10));
        return (reconciler.LastScan!, sampler.Stop());
    }

    private static async Task<IHost> StartAsync(string inbox, string work, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Watch:Folder"] = inbox,
            ["Database:Path"] = Path.Combine(work, "privatevlm.db"),
            ["Clustering:Enabled"] = "false",
            ["Embeddings:ModelPath"] = Path.Combine(work, "no-clip-model"),
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddPhotoDaemon(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static long Count(string database, string sql)
    {
        if (!File.Exists(database))
        {
            return 0;
        }

        try
        {
            using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
            connection.Open();
            return connection.ExecuteScalar<long>(sql);
        }
        catch (SqliteException)
        {
            return 0;
        }
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached within {timeout}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Peak resident set and managed heap above their values at the start, sampled every 20 ms on a thread of its
    /// own. With <c>liveHeap</c> each sample follows a full collection: what is really held, at the cost of speed.</summary>
    private sealed class MemorySampler
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly CancellationTokenSource _stop = new();
        private readonly long _rss0;
        private readonly long _heap0;
        private readonly bool _liveHeap;
        private readonly Thread _thread;
        private long _rssPeak;
        private long _heapPeak;

        private MemorySampler(bool liveHeap)
        {
            _liveHeap = liveHeap;
            _heap0 = _heapPeak = GC.GetTotalMemory(forceFullCollection: true);
            _rss0 = _rssPeak = Rss();
            _thread = new Thread(Sample) { IsBackground = true };
            _thread.Start();
        }

        public static MemorySampler Start(bool liveHeap = false) => new(liveHeap);

        public Figures Stop()
        {
            _stop.Cancel();
            _thread.Join();
            return new Figures(_clock.Elapsed, _rssPeak - _rss0, _heapPeak - _heap0, _liveHeap);
        }

        private void Sample()
        {
            while (!_stop.IsCancellationRequested)
            {
                _rssPeak = Math.Max(_rssPeak, Rss());
                _heapPeak = Math.Max(_heapPeak, GC.GetTotalMemory(forceFullCollection: _liveHeap));
                _stop.Token.WaitHandle.WaitOne(20);
            }
        }

        private static long Rss()
        {
            var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }

        public sealed record Figures(TimeSpan Elapsed, long RssGrowth, long HeapGrowth, bool LiveHeap)
        {
            public override string ToString() =>
                $"peak RSS +{RssGrowth / 1e6:F1} MB, managed heap +{HeapGrowth / 1e6:F1} MB ({(LiveHeap ? "live, after full collections" : "incl. garbage")})";
        }
    }
}
