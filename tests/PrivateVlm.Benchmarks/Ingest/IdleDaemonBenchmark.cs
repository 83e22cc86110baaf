using System.Globalization;
using PrivateVlm.Benchmarks.Support;

namespace PrivateVlm.Benchmarks.Ingest;

/// <summary>Idle daemon: RSS and CPU over a minute with nothing to do. Goal: RSS <= 120 MB, CPU ~0 (no polling).</summary>
public sealed class IdleDaemonBenchmark : IFigureBenchmark
{
    public string Name => "idle";

    public string Description => "idle daemon RSS and CPU over N seconds (args: [seconds=60])";

    public async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
        var work = BenchmarkCorpus.TempFolder("idle");
        try
        {
            var folder = Path.Combine(work, "inbox");
            BenchmarkCorpus.Replicate(BenchmarkCorpus.Photos(), folder, 200);
            using var daemon = BenchmarkDaemon.Start(folder, Path.Combine(work, "privatevlm.db"));
            // Idle means every stage has drained, not just L0.
            await daemon.WaitUntilAsync(
                () => daemon.Scalar("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state IN ('done','failed')") >= 200
                      && daemon.Scalar("SELECT count(*) FROM jobs WHERE state IN ('queued','running')") == 0,
                TimeSpan.FromMinutes(3));
            await Task.Delay(3000); // let start-up work and the first GC settle

            var (cpuStart, _) = daemon.Sample();
            long maxRss = 0;
            for (var i = 0; i < seconds; i++)
            {
                await Task.Delay(1000);
                maxRss = Math.Max(maxRss, daemon.Sample().RssBytes);
            }

            var (cpuEnd, rss) = daemon.Sample();
            var cpu = cpuEnd - cpuStart;
            Console.WriteLine($"idle {seconds} s after ingesting 200 photos: CPU {cpu:F2} s ({100 * cpu / seconds:F2}% of one core), RSS now {rss / 1e6:F1} MB, max {maxRss / 1e6:F1} MB");
            Console.WriteLine("goal: RSS <= 120 MB, CPU ~0");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
