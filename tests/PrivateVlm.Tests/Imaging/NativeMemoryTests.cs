using System.Diagnostics;
using PrivateVlm.Imaging;
using NetVips;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Imaging;

/// <summary>libvips' counters are process-wide: this runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(NativeMemoryTests), DisableParallelization = true)]
public sealed class NativeMemoryCollection;

/// <summary>Thousands of photos leave no native memory, images or open files behind.</summary>
[Collection(nameof(NativeMemoryTests))]
public sealed class NativeMemoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [CorpusFact]
    public async Task Thousands_of_prepare_calls_keep_native_memory_flat()
    {
        var photo = _context.ScratchFile("photo.png");
        TestPng.Write(photo, 160, 120, (x, y) => ((byte)x, (byte)y, (byte)(x + y)));
        // Small files keep thousands of calls within seconds; every format family and path is still exercised.
        // The HEIF sample is HEVC: on a machine without an HEVC decoder it waits instead, so an AVIF stands in for the family.
        string[] photos = [photo, Corpus.File("exif-samples/jpg/Canon_40D.jpg"), HeicDecoding.Available ? Corpus.File("heic/RGB_8__128x128.heif") : Corpus.File("formats/avif/32Bit-72dpi-sRGB-800x600.avif")];
        var broken = Corpus.File(HeicDecoding.Available ? "heic/truncated.heic" : "heic/corrupted.heic");
        var small = new VlmImageBudget(16 * 28 * 28, 224, 80);
        var calls = 0;
        var spec = new EncoderInputSpec(64, EncoderInputSpec.Clip224.Mean, EncoderInputSpec.Clip224.Std);
        var buffer = new float[spec.TensorLength];

        async Task Round(int i)
        {
            var path = photos[i % photos.Length];
            await _context.Preparation.PrepareEncoderInputAsync(path, spec, buffer, default);
            calls++;
            if (i % 4 == 0)
            {
                calls += 3;
                await _context.Preparation.PrepareVlmImageAsync(path, small, default);
                await _context.Preparation.GrayscaleThumbnailAsync(path, 9, 8, default);
                await Assert.ThrowsAsync<PhotoRejectedException>(() => _context.Preparation.ReadHeaderAsync(broken, default));
            }
        }

        for (var i = 0; i < 300; i++)
        {
            await Round(i);
        }

        using var process = Process.GetCurrentProcess();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        process.Refresh();
        var before = Counters();
        var rssBefore = process.WorkingSet64;

        var clock = Stopwatch.StartNew();
        calls = 0;
        var rounds = 0;
        while (calls < 4000 && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Round(rounds++);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        process.Refresh();
        var after = Counters();
        var rssGrowth = process.WorkingSet64 - rssBefore;

        output.WriteLine(
            $"native memory: {calls} calls in {clock.Elapsed.TotalSeconds:F1} s; vips {before} -> {after}; RSS growth {rssGrowth / 1024} KB");
        // An idle machine makes the 4000 calls in a few seconds; a heavily shared one still has to make 500.
        Assert.True(calls >= 500, $"only {calls} calls in {clock.Elapsed}");
        // Nothing libvips allocated for pixels and nothing it opened survives a call.
        Assert.Equal(0, after.OpenFiles);
        Assert.True(after.TrackedAllocations <= before.TrackedAllocations, $"allocations {before.TrackedAllocations} -> {after.TrackedAllocations}");
        Assert.True(after.TrackedBytes <= before.TrackedBytes + 1_000_000, $"tracked bytes {before.TrackedBytes} -> {after.TrackedBytes}");
        // Leaking one decoded image or operation per call would add 50+ KB per call, 100+ MB over the run; allow
        // allocator noise and the test host's own activity.
        Assert.True(rssGrowth < 48L * 1024 * 1024, $"RSS grew {rssGrowth / 1024 / 1024} MB over {calls} calls");
    }

    /// <summary>libvips' own accounting of pixel buffers it allocated and files it holds open.</summary>
    private static (long TrackedBytes, int TrackedAllocations, int OpenFiles) Counters() => (Stats.Mem, Stats.Allocations, Stats.Files);
}
