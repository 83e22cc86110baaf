using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;
using PrivateVlm.Benchmarks.Support;

namespace PrivateVlm.Benchmarks.Ingest;

/// <summary>
/// L0 throughput: photos/s for the daemon to ingest a fresh folder (hash + metadata + commit), against
/// `exiftool -json -n -r` over the same folder in the same run. Goal: >= 10x exiftool's files/s.
/// </summary>
public sealed class L0ThroughputBenchmark : IFigureBenchmark
{
    public string Name => "l0-throughput";

    public string Description => "daemon L0 photos/s on >= 2,000 corpus copies vs exiftool -json -n -r (args: [count])";

    public async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2400;
        var work = BenchmarkCorpus.TempFolder("l0");
        try
        {
            var folder = Path.Combine(work, "photos");
            var sources = BenchmarkCorpus.Photos();
            BenchmarkCorpus.Replicate(sources, folder, count);
            Console.WriteLine($"corpus: {sources.Count} distinct source photos replicated to {count} distinct files ({DirectorySize(folder) / 1e6:F1} MB)");

            // Reference first so both runs see a warm page cache for the files.
            var exiftoolCpu = TimeSpan.Zero;
            var exiftool = Stopwatch.StartNew();
            // Through sh so its `times` reports exiftool's CPU (user + system of its children): .NET cannot ask an
            // exited process for its CPU time on Linux.
            using (var process = Process.Start(new ProcessStartInfo("sh", ["-c", "exiftool -json -n -r -q -q \"$0\" > /dev/null; times", folder])
                   { RedirectStandardOutput = true })!)
            {
                var times = await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                exiftoolCpu = ChildrenCpu(times);
            }

            exiftool.Stop();
            var exiftoolRate = count / exiftool.Elapsed.TotalSeconds;

            var wall = Stopwatch.StartNew();
            // L0 alone: the clustering tier (the one later tier that needs no model) would decode every photo meanwhile
            // and bill its CPU to this figure. Embedding, quick and deep have no model in a benchmark run.
            using var daemon = BenchmarkDaemon.Start(
                folder, Path.Combine(work, "privatevlm.db"), new Dictionary<string, string> { ["Clustering:Enabled"] = "false" });
            await daemon.WaitUntilAsync(() => daemon.Scalar("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state IN ('done', 'failed')") >= count, TimeSpan.FromMinutes(10));
            wall.Stop();
            var (cpuSeconds, rss) = daemon.Sample();
            Console.WriteLine($"daemon (L0 only, Clustering:Enabled=false) CPU {cpuSeconds:F2} s = {1000 * cpuSeconds / count:F2} ms per photo (incl. start-up), RSS {rss / 1e6:F0} MB");
            var failed = daemon.Scalar("SELECT count(*) FROM jobs WHERE state = 'failed'");
            var span = daemon.Query<(string First, string LastSeen, string FirstDone, string Last)>(
                "SELECT (SELECT min(first_seen_at) FROM photos), (SELECT max(first_seen_at) FROM photos), (SELECT min(finished_at) FROM jobs), (SELECT max(finished_at) FROM jobs)").Single();
            double Seconds(string from, string to) =>
                (DateTimeOffset.Parse(to, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(from, CultureInfo.InvariantCulture)).TotalSeconds;
            var busySeconds = Seconds(span.First, span.Last);
            Console.WriteLine($"phases: identity (hash + record) {Seconds(span.First, span.LastSeen):F2} s for all photos; " +
                              $"L0 rows from {Seconds(span.First, span.FirstDone):F2} s to {busySeconds:F2} s");
            var daemonRate = count / busySeconds;

            Console.WriteLine($"exiftool -json -n -r: {exiftool.Elapsed.TotalSeconds:F2} s = {exiftoolRate:F0} files/s");
            Console.WriteLine($"privatevlm L0: {busySeconds:F2} s from first photo recorded to last metadata row = {daemonRate:F0} photos/s " +
                              $"(wall incl. process start {wall.Elapsed.TotalSeconds:F2} s = {count / wall.Elapsed.TotalSeconds:F0}/s); failed: {failed}");
            Console.WriteLine($"ratio: {daemonRate / exiftoolRate:F1}x exiftool (goal >= 10x); wall-clock ratio {count / wall.Elapsed.TotalSeconds / exiftoolRate:F1}x");
            // CPU time is what a loaded machine cannot distort: what each tool spent per file, whoever else ran.
            Console.WriteLine($"CPU: exiftool {exiftoolCpu.TotalSeconds:F2} s = {1000 * exiftoolCpu.TotalSeconds / count:F2} ms per file; " +
                              $"daemon {1000 * cpuSeconds / count:F2} ms per photo; CPU ratio {exiftoolCpu.TotalSeconds / cpuSeconds:F1}x");

            // Where the daemon's CPU goes: the CPU time of the same files read by the L0 reader alone and hashed alone,
            // one thread, in this process (the daemon is idle by now: every photo is done).
            var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToList();
            var reader = new PhotoMetadataReader();
            var self = Process.GetCurrentProcess();
            var parseStart = self.TotalProcessorTime;
            foreach (var file in files)
            {
                try
                {
                    reader.Read(file);
                }
                catch (PhotoRejectedException)
                {
                }
            }

            self.Refresh();
            var parseCpu = self.TotalProcessorTime - parseStart;
            var hashStart = self.TotalProcessorTime;
            foreach (var file in files)
            {
                using var stream = File.OpenRead(file);
                SHA256.HashData(stream);
            }

            self.Refresh();
            var hashCpu = self.TotalProcessorTime - hashStart;
            var parseMs = 1000 * parseCpu.TotalSeconds / files.Count;
            var hashMs = 1000 * hashCpu.TotalSeconds / files.Count;
            Console.WriteLine($"profile (CPU, one thread): L0 parse {parseMs:F2} ms/photo, SHA-256 {hashMs:F2} ms/photo; " +
                              $"the rest of the daemon's {1000 * cpuSeconds / count:F2} ms/photo CPU (start-up, watcher, queue, SQLite commits, hand-offs) " +
                              $"{1000 * cpuSeconds / count - parseMs - hashMs:F2} ms/photo");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The second line of sh's `times`: children's user and system time, as "0m12.340000s 0m0.560000s".</summary>
    private static TimeSpan ChildrenCpu(string times)
    {
        var total = TimeSpan.Zero;
        foreach (var part in times.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var minutes = part.IndexOf('m', StringComparison.Ordinal);
            total += TimeSpan.FromMinutes(int.Parse(part[..minutes], CultureInfo.InvariantCulture))
                     + TimeSpan.FromSeconds(double.Parse(part[(minutes + 1)..^1], CultureInfo.InvariantCulture));
        }

        return total;
    }

    private static long DirectorySize(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
