using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Benchmarks.Support;
using PrivateVlm.Benchmarks.Vlm;
using PrivateVlm.Clustering;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Benchmarks.Imaging;

/// <summary>
/// What "decode a photo once" buys, old path against new in the same run.
/// 1. Imaging CPU per photo across the four pixel stages (embedding's 224 px tensor, clustering's header and hash thumbnail, the
///    quick and the deep tier's JPEG at the daemon's default budget), as a ratio to ONE plain decode: the original
///    decoded (shrink-on-load) to the largest tier size into memory, the least any pipeline that sends that JPEG pays.
///    Old: each stage decodes the original (path API). New: the stages' job API, one working image per photo.
///    CPU is the whole process's (libvips runs on its own threads), median of interleaved rounds.
/// 2. Drop to first quick result for 12 MP HEICs: the real daemon with the fake model server at a fixed service time,
///    a fresh library per round, old path by Imaging:WorkingImageMemory=0, rounds alternating old and new.
/// Inputs: a 12 MP JPEG made at run time from heic/pug.heic (vips copy Q=90, outside git); heic/pug.heic (4032x3024,
/// no embedded thumbnail); iPhone 13 Pro Max and heic/arrow.heic (3024x4032, 240x320 thumbnail).
/// </summary>
public sealed class DecodeOnceBenchmark : IFigureBenchmark
{
    /// <summary>The daemon's default tier budget (Tiers:*:ImageBudget): 1280x28x28 pixels, long side 1792, Q85.</summary>
    private static readonly VlmImageBudget TierBudget = new(1280 * 28 * 28, 1792, 85);

    public string Name => "decode-once";

    public string Description => "imaging CPU per photo over all stages, old (each stage decodes) vs new (one working image), as x one decode; drop -> quick result for 12 MP HEIC (args: [cpu-rounds] [drop-rounds] [service-ms])";

    public async Task<int> RunAsync(string[] args)
    {
        var cpuRounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var dropRounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        var serviceMs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
        if (!Directory.Exists(BenchmarkCorpus.Root))
        {
            Console.WriteLine($"{BenchmarkCorpus.Root} not found: cannot run (needs heic/pug.heic)");
            return 1;
        }

        var scratch = BenchmarkCorpus.TempFolder("decode-once");
        try
        {
            var jpeg = Path.Combine(scratch, "photo12mp.jpg");
            await RunTool("vips", $"copy \"{Path.Combine(BenchmarkCorpus.Root, "heic", "pug.heic")}\" \"{jpeg}[Q=90]\"");
            var imaging = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
            if (ImagingDiagnostics.Probe(imaging.Options).Libvips is not { } libvips)
            {
                Console.WriteLine("# no libvips");
                return 1;
            }

            Console.WriteLine($"# {libvips.Describe()}; {libvips.HeicLine}");
            var inputs = new List<(string Label, string Path)> { ("12 MP JPEG (pug, Q90)", jpeg) };
            var heics = new List<(string Label, string Path)>
            {
                ("12 MP HEIC pug (no thumbnail)", Path.Combine(BenchmarkCorpus.Root, "heic", "pug.heic")),
                ("12 MP HEIC iPhone 13 Pro Max (320 px thumbnail)", Path.Combine(BenchmarkCorpus.Root, "exif-samples", "heic", "mobile", "iphone_13_pro_max.HEIC")),
            };
            if (libvips.HeicDecoding)
            {
                inputs.AddRange(heics);
            }

            foreach (var (label, path) in inputs)
            {
                await CpuPerPhotoAsync(label, path, label.Contains("JPEG", StringComparison.Ordinal) ? cpuRounds * 2 : cpuRounds);
            }

            if (dropRounds > 0 && libvips.HeicDecoding)
            {
                await DropToQuickAsync(scratch, dropRounds, serviceMs);
            }
            else if (dropRounds > 0)
            {
                Console.WriteLine("# drop -> quick: skipped, this libvips cannot decode HEVC HEIC (install libvips42 + libheif1)");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task CpuPerPhotoAsync(string label, string path, int rounds)
    {
        var old = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
        using var shared = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
        shared.PlanVlmImages("quick", TierBudget);
        shared.PlanVlmImages("deep", TierBudget);
        var header = await old.ReadHeaderAsync(path, default);
        var decoder = new PhotoDecoder(LoadedLibvips.Load(null), new ImagingOptions());
        var (width, height) = VlmImageSize.Fit(header.Width, header.Height, TierBudget);
        var tensor = new float[EncoderInputSpec.Clip224.TensorLength];
        // Clustering's imaging part (what PhotoHashes.OfPhotoAsync asks for); the hash arithmetic is the same either way.
        var (hashWidth, hashHeight) = TiltedCopyHash.ThumbnailSize(header.Width, header.Height);

        var photoId = 0L;
        async Task Old()
        {
            await old.PrepareEncoderInputAsync(path, EncoderInputSpec.Clip224, tensor, default);
            await old.ReadHeaderAsync(path, default);
            await old.GrayscaleThumbnailAsync(path, hashWidth, hashHeight, default);
            await old.PrepareVlmImageAsync(path, TierBudget, default);
            await old.PrepareVlmImageAsync(path, TierBudget, default);
        }

        var byStage = new Dictionary<string, List<double>> { ["embedding"] = [], ["clustering"] = [], ["quick"] = [], ["deep"] = [] };
        async Task New()
        {
            var id = ++photoId; // a new photo each round: nothing carried over from the round before
            byStage["embedding"].Add((await Measure(() => shared.PrepareEncoderInputAsync(Job(id, "embedding", path), EncoderInputSpec.Clip224, tensor, default))).Cpu);
            byStage["clustering"].Add((await Measure(async () =>
            {
                await shared.ReadHeaderAsync(Job(id, "clustering", path), default);
                await shared.GrayscaleThumbnailAsync(Job(id, "clustering", path), hashWidth, hashHeight, default);
            })).Cpu);
            byStage["quick"].Add((await Measure(() => shared.PrepareVlmImageAsync(Job(id, "quick", path), TierBudget, default))).Cpu);
            byStage["deep"].Add((await Measure(() => shared.PrepareVlmImageAsync(Job(id, "deep", path), TierBudget, default))).Cpu);
        }

        Task Plain() => Task.Run(() => decoder.Working(header, path, width, height));
        Task QuickAlone() => old.PrepareVlmImageAsync(path, TierBudget, default); // what the quick tier alone cost before

        await Plain(); // warm-up: page cache, libvips modules
        await Old();
        await New();
        List<double> plain = [], quickAlone = [], oldCpu = [], newCpu = [], oldWall = [], newWall = [];
        for (var round = 0; round < rounds; round++)
        {
            // Interleaved so load from other processes on this machine hits all three alike.
            plain.Add((await Measure(Plain)).Cpu);
            quickAlone.Add((await Measure(QuickAlone)).Cpu);
            var (cpu, wall) = await Measure(Old);
            oldCpu.Add(cpu);
            oldWall.Add(wall);
            (cpu, wall) = await Measure(New);
            newCpu.Add(cpu);
            newWall.Add(wall);
        }

        var one = Percentiles.Of(plain, 50);
        var oldP50 = Percentiles.Of(oldCpu, 50);
        var newP50 = Percentiles.Of(newCpu, 50);
        Console.WriteLine($"{label}: one plain decode to {width}x{height} CPU p50 {one:F0} ms (n={plain.Count})");
        Console.WriteLine($"{label}: all four stages, old (each decodes) CPU p50 {oldP50:F0} ms = {oldP50 / one:F2}x one decode; wall p50 {Percentiles.Of(oldWall, 50):F0} ms");
        Console.WriteLine($"{label}: all four stages, new (one working image) CPU p50 {newP50:F0} ms = {newP50 / one:F2}x one decode (goal <= 1.20); wall p50 {Percentiles.Of(newWall, 50):F0} ms");
        Console.WriteLine($"{label}: new path by stage, CPU p50: " + string.Join(", ", byStage.Select(s => $"{s.Key} {Percentiles.Of(s.Value, 50):F0} ms")));
        var quick = Percentiles.Of(quickAlone, 50);
        Console.WriteLine($"{label}: new/old CPU = {newP50 / oldP50:F2}; against one decode + its JPEG (the quick tier's preparation alone, " +
                          $"CPU p50 {quick:F0} ms): old {oldP50 / quick:F2}x, new {newP50 / quick:F2}x");
    }

    private static async Task<(double Cpu, double Wall)> Measure(Func<Task> work)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await work();
        var wall = clock.Elapsed.TotalMilliseconds;
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMilliseconds, wall);
    }

    private static PhotoJob Job(long photoId, string stage, string path) => new(photoId, photoId, stage, "benchmark", path, 1);

    /// <summary>Three distinct 12 MP HEICs (never near-duplicates of each other, so each gets its own quick call),
    /// dropped one at a time into a running daemon with a fresh library; old and new alternate by round.</summary>
    private static async Task DropToQuickAsync(string scratch, int rounds, int serviceMs)
    {
        string[] photos =
        [
            Path.Combine(BenchmarkCorpus.Root, "heic", "pug.heic"),
            Path.Combine(BenchmarkCorpus.Root, "exif-samples", "heic", "mobile", "iphone_13_pro_max.HEIC"),
            Path.Combine(BenchmarkCorpus.Root, "heic", "arrow.heic"),
        ];
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "4", "--service-ms", serviceMs.ToString(CultureInfo.InvariantCulture));
        var samples = new Dictionary<string, List<double>> { ["old"] = [], ["new"] = [] };
        var byPhoto = new Dictionary<(string, string), List<double>>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var mode in new[] { "old", "new" })
            {
                var work = Directory.CreateDirectory(Path.Combine(scratch, $"drop-{mode}-{round}")).FullName;
                var folder = Directory.CreateDirectory(Path.Combine(work, "inbox")).FullName;
                var settings = VlmTierSettings.For("Quick", server.BaseUri, 4);
                settings["Watch:StabilityWindow"] = "00:00:00.300";
                if (mode == "old")
                {
                    settings["Imaging:WorkingImageMemory"] = "0";
                }

                using var daemon = BenchmarkDaemon.Start(folder, Path.Combine(work, "privatevlm.db"), settings);
                await daemon.WaitUntilAsync(() => daemon.Scalar("SELECT max(version) FROM schema_migrations") >= 3, TimeSpan.FromSeconds(60));
                await Task.Delay(2000);
                for (var i = 0; i < photos.Length; i++)
                {
                    var path = Path.Combine(folder, Path.GetFileName(photos[i]));
                    await File.WriteAllBytesAsync(path, await File.ReadAllBytesAsync(photos[i])); // written now: a copy keeps the old mtime
                    var written = File.GetLastWriteTimeUtc(path);
                    await daemon.WaitUntilAsync(() => daemon.Scalar("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") > i, TimeSpan.FromSeconds(120));
                    var created = daemon.Query<string>(
                        $"SELECT r.created_at FROM vlm_results r JOIN files f ON f.photo_id = r.photo_id WHERE f.path = '{path.Replace("'", "''")}' AND r.tier = 'quick'").Single();
                    var ms = (DateTimeOffset.Parse(created, CultureInfo.InvariantCulture) - new DateTimeOffset(written, TimeSpan.Zero)).TotalMilliseconds;
                    samples[mode].Add(ms);
                    var key = (mode, Path.GetFileName(photos[i]));
                    (byPhoto.TryGetValue(key, out var list) ? list : byPhoto[key] = []).Add(ms);
                }
            }
        }

        Console.WriteLine($"drop -> first quick result, 12 MP HEIC, fake server {serviceMs} ms, stability window 300 ms, no CLIP model (stages: metadata, clustering, quick):");
        foreach (var photo in photos.Select(Path.GetFileName))
        {
            var o = Percentiles.Of(byPhoto[("old", photo!)], 50);
            var n = Percentiles.Of(byPhoto[("new", photo!)], 50);
            Console.WriteLine($"  {photo}: old p50 {o:F0} ms, new p50 {n:F0} ms, new/old {n / o:F2}");
        }

        var oldP50 = Percentiles.Of(samples["old"], 50);
        var newP50 = Percentiles.Of(samples["new"], 50);
        Console.WriteLine($"  all: old {Percentiles.Describe(samples["old"])}; new {Percentiles.Describe(samples["new"])}; new/old p50 {newP50 / oldP50:F2}; " +
                          $"above the service time: old {oldP50 - serviceMs:F0} ms, new {newP50 - serviceMs:F0} ms");
    }

    private static async Task RunTool(string tool, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })
                            ?? throw new InvalidOperationException($"cannot start {tool}");
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {arguments} failed: {await errors}");
        }
    }
}
