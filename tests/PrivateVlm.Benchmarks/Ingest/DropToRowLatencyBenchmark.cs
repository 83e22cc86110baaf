using System.Globalization;
using PrivateVlm.Benchmarks.Support;

namespace PrivateVlm.Benchmarks.Ingest;

/// <summary>
/// Drop-to-row latency: from a file's last write to its committed L0 row (the metadata job's finished_at, written in
/// the same transaction as the row), p50/p95 over photos dropped one at a time into a running daemon.
/// Goal: p95 <= stability window (300 ms) + 100 ms.
/// </summary>
public sealed class DropToRowLatencyBenchmark : IFigureBenchmark
{
    public string Name => "l0-latency";

    public string Description => "drop-to-committed-L0-row latency p50/p95 (args: [count])";

    public async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var work = BenchmarkCorpus.TempFolder("latency");
        try
        {
            var folder = Path.Combine(work, "inbox");
            Directory.CreateDirectory(folder);
            var sources = BenchmarkCorpus.Photos().Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)).ToList();
            using var daemon = BenchmarkDaemon.Start(folder, Path.Combine(work, "privatevlm.db"));
            await daemon.WaitUntilAsync(() => daemon.Scalar("SELECT count(*) FROM schema_migrations") > 0, TimeSpan.FromSeconds(30));
            await Task.Delay(1000);

            var lastWrite = new Dictionary<string, DateTimeOffset>();
            for (var i = 0; i < count; i++)
            {
                var path = Path.Combine(folder, $"drop_{i:D4}.jpg");
                var bytes = File.ReadAllBytes(sources[i % sources.Count]);
                await File.WriteAllBytesAsync(path, [.. bytes, .. System.Text.Encoding.ASCII.GetBytes($"latency-{i}")]);
                lastWrite[path] = File.GetLastWriteTimeUtc(path);
                await Task.Delay(150); // one photo at a time, as from a phone sync
            }

            await daemon.WaitUntilAsync(() => daemon.Scalar("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state IN ('done','failed')") >= count, TimeSpan.FromMinutes(2));
            var rows = daemon.Query<(string Path, string FinishedAt)>(
                "SELECT f.path, j.finished_at FROM jobs j JOIN files f ON f.photo_id = j.photo_id WHERE j.stage = 'metadata' AND j.state = 'done'");
            var samples = rows.Select(r => (DateTimeOffset.Parse(r.FinishedAt, CultureInfo.InvariantCulture) - lastWrite[r.Path]).TotalMilliseconds).ToList();
            Console.WriteLine($"drop-to-row latency over {samples.Count} photos: {Percentiles.Describe(samples)}");
            Console.WriteLine($"goal: p95 <= 400 ms (300 ms stability window + 100 ms); p95 = {Percentiles.Of(samples, 95):F0} ms");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
