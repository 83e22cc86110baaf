using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Protocol;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Benchmarks.Vlm;

/// <summary>
/// How close the VLM client gets to the model server's capacity (P slots / S service time) and what it costs in
/// client CPU per photo; and how many image tokens a 12 MP photo costs at full resolution versus resized to the
/// default 1280*28*28 budget, as counted by the fake llama-server (Qwen2.5-VL smart resize, llama.cpp clamp and HF
/// defaults).
/// </summary>
public sealed class VlmOrchestrationBenchmark : IFigureBenchmark
{
    public string Name => "vlm-orchestration";

    public string Description => "VLM client throughput vs P/S on the fake llama-server, client CPU/request, image tokens 12 MP vs budget";

    public async Task<int> RunAsync(string[] args)
    {
        var requests = Argument(args, "--requests", 400);
        var serviceMs = Argument(args, "--service-ms", 200);
        var slots = Argument(args, "--slots", 4);
        var corpusPhoto = Path.GetFullPath(Path.Combine(Repository.Shared, "corpus", "exif-samples", "jpg", "Reconyx_HC500_Hyperfire.jpg"));
        if (!File.Exists(corpusPhoto))
        {
            Console.Error.WriteLine("corpus photo missing: " + corpusPhoto);
            return 1;
        }

        var work = Directory.CreateTempSubdirectory("privatevlm-vlm-bench-");
        try
        {
            var (fullPath, budgetPath) = await MakePhotosAsync(corpusPhoto, work.FullName);
            var full = await File.ReadAllBytesAsync(fullPath);
            var budget = await File.ReadAllBytesAsync(budgetPath);
            await ThroughputAsync(budget, requests, serviceMs, slots);
            await ImageTokensAsync(full, budget);
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task ThroughputAsync(byte[] photo, int requests, int serviceMs, int slots)
    {
        await using var server = await FakeModelServerProcess.StartAsync(
            "--slots", Text(slots), "--service-ms", Text(serviceMs), "--ctx", Text(slots * 8192));
        using var tier = Tier(server.BaseUri, slots);
        for (var i = 0; i < Math.Max(40, slots * 10); i++)
        {
            await tier.DescribeAsync(photo, CancellationToken.None); // warm-up: JIT, connections, model id
        }

        using var me = Process.GetCurrentProcess();
        using var fake = Process.GetProcessById(server.ProcessId);
        me.Refresh();
        fake.Refresh();
        var cpuBefore = me.TotalProcessorTime;
        var userBefore = me.UserProcessorTime;
        var fakeCpuBefore = fake.TotalProcessorTime;
        var latencies = new double[requests];
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = slots }, async (i, ct) =>
        {
            var started = Stopwatch.GetTimestamp();
            await tier.DescribeAsync(photo, ct);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        });
        clock.Stop();
        me.Refresh();
        fake.Refresh();
        var clientCpu = me.TotalProcessorTime - cpuBefore;
        var clientUser = me.UserProcessorTime - userBefore;
        var fakeCpu = fake.TotalProcessorTime - fakeCpuBefore;

        var throughput = requests / clock.Elapsed.TotalSeconds;
        var capacity = slots / (serviceMs / 1000.0);
        Console.WriteLine($"## throughput: {requests} quick-tier calls, concurrency {slots}, fake server {slots} slots x {serviceMs} ms, JPEG {photo.Length / 1024.0:F0} KiB");
        Console.WriteLine($"sustained      {throughput:F2} req/s of P/S = {capacity:F2} req/s -> {throughput / capacity:P1}");
        Console.WriteLine($"latency        {Percentiles.Describe(latencies)}");
        Console.WriteLine($"client CPU     {clientCpu.TotalMilliseconds / requests:F2} ms/request ({(clientCpu - clientUser).TotalMilliseconds / requests:F2} ms of it in the kernel; request JSON + base64, HTTP, parse, schema check, deserialise)");
        Console.WriteLine($"fake CPU       {fakeCpu.TotalMilliseconds / requests:F2} ms/request (reference only: the stand-in's own parsing and hashing)");
        var stats = await server.StatsAsync();
        Console.WriteLine($"server saw     max {stats["maxConcurrent"]} concurrent, {stats["requests"]} chat requests, cached prompt tokens {stats["cachedTokensSum"]} of {stats["promptTokensSum"]}");
    }

    private static async Task ImageTokensAsync(byte[] full, byte[] budget)
    {
        Console.WriteLine("## image tokens per request (counted by the fake server as Qwen2.5-VL does)");
        foreach (var (label, maxTokens) in new[] { ("llama.cpp clamp (--image-max-tokens 4096)", 4096), ("HF defaults (mlx-vlm, vLLM: max 16384)", 16384) })
        {
            await using var server = await FakeModelServerProcess.StartAsync("--slots", "1", "--ctx", "32768", "--image-max-tokens", Text(maxTokens), "--service-ms", "5");
            using var tier = Tier(server.BaseUri, 1);
            foreach (var (name, bytes) in new[] { ("4032x3024 full resolution", full), ($"{BudgetSize.Width}x{BudgetSize.Height} resized to 1280*28*28", budget) })
            {
                var result = await tier.DescribeAsync(bytes, CancellationToken.None);
                var stats = await server.StatsAsync();
                var tokens = (int)stats["imageTokens"]!.AsArray().Last()!;
                Console.WriteLine($"{label,-44} {name,-34} JPEG {bytes.Length / 1024.0,7:F0} KiB  image tokens {tokens,6}  prompt tokens {result.Timings.PromptTokens,6}  wall {result.Timings.WallMs,6:F0} ms");
            }
        }
    }

    private static readonly (int Width, int Height) BudgetSize = FitToBudget(4032, 3024, ImageBudgetOptions.DefaultMaxPixels);

    /// <summary>Largest sides, multiples of 28, with the same aspect and at most <paramref name="maxPixels"/>.</summary>
    private static (int Width, int Height) FitToBudget(int width, int height, long maxPixels)
    {
        var scale = Math.Min(1.0, Math.Sqrt((double)maxPixels / ((long)width * height)));
        return ((int)(width * scale / 28) * 28, (int)(height * scale / 28) * 28);
    }

    /// <summary>A 12 MP iPhone-sized JPEG made from a 2048x1536 corpus photo, and its budget-sized version (vips CLI,
    /// since the imaging binding is built separately).</summary>
    private static async Task<(string Full, string Budget)> MakePhotosAsync(string source, string folder)
    {
        var full = Path.Combine(folder, "full-4032x3024.jpg");
        var budget = Path.Combine(folder, $"budget-{BudgetSize.Width}x{BudgetSize.Height}.jpg");
        await VipsAsync("thumbnail", source, full + "[Q=90]", "4032", "--height", "3024", "--size", "force");
        await VipsAsync("thumbnail", full, budget + "[Q=85]", Text(BudgetSize.Width), "--height", Text(BudgetSize.Height), "--size", "force");
        return (full, budget);
    }

    private static async Task VipsAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("vips") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"vips {string.Join(' ', arguments)} failed: {error}");
        }
    }

    private static VisionTier<QuickDescription> Tier(Uri endpoint, int concurrency)
    {
        var vlm = new VlmOptions();
        var guard = new PhotoEgressGuard([]);
        var options = TierOptions.QuickDefaults with { Endpoints = [endpoint.ToString()], Concurrency = concurrency };
        return new VisionTier<QuickDescription>("quick", options, new PromptCatalog(),
            new ChatCompletionsClient(ChatCompletionsClient.CreateHttpClient(vlm), guard, vlm, TimeProvider.System),
            guard, new EndpointCircuits(), TimeProvider.System, NullLogger.Instance);
    }

    private static int Argument(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
