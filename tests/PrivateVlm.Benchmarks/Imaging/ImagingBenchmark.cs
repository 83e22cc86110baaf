using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Imaging;
using NetVips;

namespace PrivateVlm.Benchmarks.Imaging;

/// <summary>
/// Time to prepare a 12 MP photo for the image encoder (224 px tensor) and for a VLM tier (JPEG under the default
/// budget), from JPEG and from HEIC, and how NetVips compares with libvips' own `vipsthumbnail` doing the same
/// thumbnail on the same files in the same run. One libvips per process: the benchmark runs itself once per libvips
/// (the system one when installed, then the bundled one, PRIVATEVLM_LIBVIPS=system|bundled), one after the other.
///
/// What makes the comparison honest: `vipsthumbnail` is given N copies of the file in ONE process, and the same
/// command with one copy is timed too; (T(N) - T(1)) / (N - 1) is its per-image time without process start and
/// libvips initialisation. NetVips does exactly the same libvips work (thumbnail 224x224 crop=centre,
/// export_profile=srgb, JPEG Q=75) on the same N copies in this process. The full API (header contract check,
/// dedicated thread for the time limit, float tensor) is timed separately, so its cost over the bare thumbnail
/// is visible too.
/// </summary>
public sealed class ImagingBenchmark : IFigureBenchmark
{
    private const int Copies = 12;
    private const int CliRuns = 5;

    public string Name => "imaging";

    public string Description => "12 MP JPEG/HEIC -> 224 px encoder tensor and VLM JPEG: p50/p95, NetVips (system and bundled libvips) vs vipsthumbnail";

    public async Task<int> RunAsync(string[] args)
    {
        if (!args.Contains(OneLibvips))
        {
            var status = 0;
            foreach (var libvips in new[] { "system", "bundled" })
            {
                Console.WriteLine($"## {LoadedLibvips.EnvironmentVariable}={libvips}");
                status |= await RunChild(libvips);
            }

            return status;
        }

        return await RunOne();
    }

    private const string OneLibvips = "--this-process-libvips";

    /// <summary>This benchmark again in a new process with one libvips chosen; its lines are printed as they come.</summary>
    private async Task<int> RunChild(string libvips)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ImagingBenchmark).Assembly.Location);
        }

        start.ArgumentList.Add(Name);
        start.ArgumentList.Add(OneLibvips);
        start.Environment[LoadedLibvips.EnvironmentVariable] = libvips;
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {self}");
        var errors = child.StandardError.ReadToEndAsync();
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("# reproduce", StringComparison.Ordinal) && !line.StartsWith("# machine", StringComparison.Ordinal))
            {
                Console.WriteLine(line);
            }
        }

        await child.WaitForExitAsync();
        var stderr = (await errors).Trim();
        if (child.ExitCode != 0 && stderr.Length > 0)
        {
            Console.WriteLine($"# {libvips}: {stderr.Split('\n')[0]}");
        }

        return child.ExitCode;
    }

    private static async Task<int> RunOne()
    {
        var corpus = FindCorpus();
        if (corpus is null)
        {
            Console.WriteLine("../shared/corpus not found: cannot run (needs heic/pug.heic)");
            return 1;
        }

        if (!OnPath("vips") || !OnPath("vipsthumbnail"))
        {
            Console.WriteLine("the vips and vipsthumbnail tools are needed for the reference (apt install libvips-tools / brew install vips)");
            return 1;
        }

        var scratch = Directory.CreateTempSubdirectory("privatevlm-bench-imaging-").FullName;
        try
        {
            // The 12 MP HEIC is a real iPhone 13 Pro photo (4032x3024); the 12 MP JPEG is the same picture re-encoded
            // by libvips at Q=90, so both formats carry identical content.
            var heic = Path.Combine(scratch, "photo12mp.heic");
            File.Copy(Path.Combine(corpus, "heic", "pug.heic"), heic);
            var jpeg = Path.Combine(scratch, "photo12mp.jpg");
            await Tool("vips", $"copy \"{heic}\" \"{jpeg}[Q=90]\"");
            Console.WriteLine($"# inputs: {Describe(jpeg)}; {Describe(heic)}");

            var preparation = new ImagePreparation(
                Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
            var diagnostics = ImagingDiagnostics.Probe(preparation.Options);
            if (diagnostics.Libvips is not { } libvips)
            {
                Console.WriteLine($"# no libvips: {diagnostics.Problem}");
                return 1;
            }

            Console.WriteLine($"# {libvips.Describe()}; {libvips.HeicLine}");
            var inputs = libvips.HeicDecoding ? new[] { ("12 MP JPEG", jpeg, 40), ("12 MP HEIC", heic, 15) } : [("12 MP JPEG", jpeg, 40)];
            foreach (var (label, file, iterations) in inputs)
            {
                await Api(preparation, label, file, iterations);
            }

            foreach (var (label, file, _) in inputs)
            {
                await AgainstVipsthumbnail(preparation, label, file, scratch);
            }

            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task Api(ImagePreparation preparation, string label, string file, int iterations)
    {
        var tensor = new float[EncoderInputSpec.Clip224.TensorLength];
        await preparation.PrepareEncoderInputAsync(file, EncoderInputSpec.Clip224, tensor, default); // warm-up
        var header = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            await preparation.ReadHeaderAsync(file, default);
            header.Add(clock.Elapsed.TotalMilliseconds);
        }

        // CPU time of this process per image as well: on a machine shared with other work, wall time mostly
        // measures waiting for a core, while CPU time is what the image costs.
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var encoder = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            await preparation.PrepareEncoderInputAsync(file, EncoderInputSpec.Clip224, tensor, default);
            encoder.Add(clock.Elapsed.TotalMilliseconds);
        }

        self.Refresh();
        var cpuPerImage = (self.TotalProcessorTime - cpuBefore).TotalMilliseconds / iterations;

        var vlm = new List<double>();
        VlmImage? image = await preparation.PrepareVlmImageAsync(file, VlmImageBudget.Default, default);
        for (var i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            image = await preparation.PrepareVlmImageAsync(file, VlmImageBudget.Default, default);
            vlm.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"{label} header contract check alone: {Percentiles.Describe(header)}");
        Console.WriteLine($"{label} -> encoder tensor 224 (full API): {Percentiles.Describe(encoder)}, CPU {cpuPerImage:F1} ms/image   goal p50 <= 25 ms (JPEG)");
        Console.WriteLine($"{label} -> VLM JPEG {image.Width}x{image.Height} {image.Bytes / 1024} KB (full API): {Percentiles.Describe(vlm)}");
    }

    private static async Task AgainstVipsthumbnail(ImagePreparation preparation, string label, string file, string scratch)
    {
        var folder = Directory.CreateDirectory(Path.Combine(scratch, Path.GetFileNameWithoutExtension(file) + "-copies")).FullName;
        var copies = Enumerable.Range(0, Copies)
            .Select(i => Path.Combine(folder, $"copy{i:D2}{Path.GetExtension(file)}"))
            .ToArray();
        foreach (var copy in copies)
        {
            File.Copy(file, copy, overwrite: true);
        }

        var output = Directory.CreateDirectory(Path.Combine(scratch, "out")).FullName;
        var common = $"-s 224x224 -m centre -e srgb -o \"{output}/%s.jpg[Q=75]\"";
        var allFiles = string.Join(' ', copies.Select(c => $"\"{c}\""));

        Bound(copies[0]); // warm-up: page cache, libvips modules
        await Tool("vipsthumbnail", $"{common} \"{copies[0]}\"");

        var cliMany = new List<double>();
        var cliOne = new List<double>();
        var bound = new List<double>();
        var api = new List<double>();
        var tensor = new float[EncoderInputSpec.Clip224.TensorLength];
        for (var run = 0; run < CliRuns; run++)
        {
            // Interleaved so load from other processes on this machine hits both sides alike.
            cliMany.Add(await Tool("vipsthumbnail", $"{common} {allFiles}"));
            cliOne.Add(await Tool("vipsthumbnail", $"{common} \"{copies[0]}\""));
            foreach (var copy in copies)
            {
                var clock = Stopwatch.StartNew();
                Bound(copy);
                bound.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                await preparation.PrepareEncoderInputAsync(copy, EncoderInputSpec.Clip224, tensor, default);
                api.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        var many = Percentiles.Of(cliMany, 50);
        var one = Percentiles.Of(cliOne, 50);
        var cliPerImage = (many - one) / (Copies - 1);
        var boundP50 = Percentiles.Of(bound, 50);
        Console.WriteLine(
            $"{label} thumbnail 224 crop=centre Q75: vipsthumbnail {Copies} files/process p50 {many:F1} ms, 1 file p50 {one:F1} ms " +
            $"-> {cliPerImage:F2} ms/image (process start removed)");
        Console.WriteLine(
            $"{label} thumbnail 224 crop=centre Q75: NetVips {Percentiles.Describe(bound)} -> ratio NetVips/vipsthumbnail " +
            $"= {boundP50 / cliPerImage:F3} (goal <= 1.10)");
        Console.WriteLine(
            $"{label} full API encoder tensor 224 (header check + time-limit thread + tensor), same rounds: " +
            $"{Percentiles.Describe(api)} -> ratio API/vipsthumbnail = {Percentiles.Of(api, 50) / cliPerImage:F3}");
    }

    /// <summary>The same libvips work vipsthumbnail does, through NetVips: thumbnail, then JPEG at Q=75.</summary>
    private static int Bound(string file)
    {
        using var thumbnail = (Image)Operation.Call(
            "thumbnail", new VOption { { "height", 224 }, { "crop", Enums.Interesting.Centre }, { "export_profile", "srgb" } }, file, 224);
        return thumbnail.JpegsaveBuffer(q: 75).Length;
    }

    private static async Task<double> Tool(string tool, string arguments)
    {
        var start = new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {tool}");
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {arguments} failed: {await stderr}");
        }

        return elapsed;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static string Describe(string file) => $"{Path.GetFileName(file)} {new FileInfo(file).Length / 1024} KB";

    private static string? FindCorpus()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateVlm.sln")))
            {
                var corpus = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus"));
                return Directory.Exists(corpus) ? corpus : null;
            }
        }

        return null;
    }
}
