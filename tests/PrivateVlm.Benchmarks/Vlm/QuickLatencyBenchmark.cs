using System.Globalization;
using PrivateVlm.Benchmarks.Support;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Benchmarks.Vlm;

/// <summary>
/// Drop to first quick (L1.5) result: from a photo's last write to its committed vlm_results row, with the fake
/// llama-server answering in 1 s, photos dropped one at a time into the running daemon (process). Includes the 300 ms
/// stability window, L0, JPEG preparation and the HTTP round trip. Goal: p95 <= 1.3 s.
/// </summary>
public sealed class QuickLatencyBenchmark : IFigureBenchmark
{
    public string Name => "vlm-quick-latency";

    public string Description => "drop-to-first-quick-result latency p50/p95 with a 1 s fake model server (args: [count] [service-ms])";

    public async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var serviceMs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var work = BenchmarkCorpus.TempFolder("vlm-latency");
        try
        {
            var folder = Path.Combine(work, "inbox");
            Directory.CreateDirectory(folder);
            await using var server = await FakeModelServerProcess.StartAsync("--slots", "4", "--service-ms", serviceMs.ToString(CultureInfo.InvariantCulture));
            var settings = VlmTierSettings.For("Quick", server.BaseUri, 4);
            settings["Watch:StabilityWindow"] = "00:00:00.300";
            using var daemon = BenchmarkDaemon.Start(folder, Path.Combine(work, "privatevlm.db"), settings);
            await daemon.WaitUntilAsync(() => daemon.Scalar("SELECT max(version) FROM schema_migrations") >= 3, TimeSpan.FromSeconds(30));
            await Task.Delay(1000);

            var sources = Directory.EnumerateFiles(Path.Combine(BenchmarkCorpus.Root, "near-dup", "ukbench", "base"), "*.jpg").Order(StringComparer.Ordinal).ToList();
            var samples = new List<double>();
            for (var i = 0; i < count; i++)
            {
                var path = Path.Combine(folder, $"drop_{i:D4}.jpg");
                var bytes = File.ReadAllBytes(sources[i % sources.Count]);
                await File.WriteAllBytesAsync(path, [.. bytes, .. System.Text.Encoding.ASCII.GetBytes($"vlm-latency-{i}")]);
                var written = File.GetLastWriteTimeUtc(path);
                await daemon.WaitUntilAsync(() => daemon.Scalar("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") > i, TimeSpan.FromSeconds(30));
                var created = daemon.Query<string>(
                    $"SELECT r.created_at FROM vlm_results r JOIN files f ON f.photo_id = r.photo_id WHERE f.path = '{path.Replace("'", "''")}' AND r.tier = 'quick'").Single();
                samples.Add((DateTimeOffset.Parse(created, CultureInfo.InvariantCulture) - new DateTimeOffset(written, TimeSpan.Zero)).TotalMilliseconds);
            }

            var wall = daemon.Query<double>("SELECT wall_ms FROM vlm_results WHERE tier = 'quick'");
            Console.WriteLine($"drop-to-quick-result over {samples.Count} photos (fake server {serviceMs} ms, stability window 300 ms): {Percentiles.Describe(samples)}");
            Console.WriteLine($"of which the model call (wall_ms): {Percentiles.Describe(wall)}");
            Console.WriteLine($"goal: p95 <= {serviceMs + 300} ms; p95 = {Percentiles.Of(samples, 95):F0} ms");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
