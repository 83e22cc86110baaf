using System.Diagnostics;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>Real photos cut short or with bytes overwritten at many places: each one is either rejected or
/// decoded into a well-formed result, promptly, and the process carries on.</summary>
public sealed class DamagedFileTests : IDisposable
{
    private readonly ImagingTestContext _context = new(new ImagingOptions { TimeLimit = TimeSpan.FromSeconds(10) });

    public void Dispose() => _context.Dispose();

    [CorpusTheory]
    [InlineData("exif-samples/jpg/orientation/landscape_1.jpg", 40)]
    public Task Truncated_and_overwritten_photos_are_rejected_or_decoded_never_crash(string file, int variants) =>
        DamageAndDecode(file, variants);

    [HeicTheory]
    [InlineData("heic/xiaomi.heic", 10)]
    [InlineData("heic/pug.heic", 8)]
    public Task Truncated_and_overwritten_heic_photos_are_rejected_or_decoded_never_crash(string file, int variants) =>
        DamageAndDecode(file, variants);

    private async Task DamageAndDecode(string file, int variants)
    {
        var original = await File.ReadAllBytesAsync(Corpus.File(file));
        var random = new Random(20261121);
        var rejected = 0;
        var decoded = 0;
        for (var i = 0; i < variants; i++)
        {
            byte[] damaged;
            string what;
            if (i % 2 == 0)
            {
                var length = (int)((long)original.Length * (i + 1) / (variants + 1));
                damaged = original[..length];
                what = $"cut at {length}";
            }
            else
            {
                damaged = (byte[])original.Clone();
                var offset = random.Next(16, original.Length - 64);
                random.NextBytes(damaged.AsSpan(offset, 32));
                what = $"32 random bytes at {offset}";
            }

            var path = _context.ScratchFile($"damaged-{i}{Path.GetExtension(file)}");
            await File.WriteAllBytesAsync(path, damaged);
            var clock = Stopwatch.StartNew();
            try
            {
                var tensor = await _context.Preparation.PrepareEncoderInputAsync(path, EncoderInputSpec.Clip224, default);
                Assert.Equal(3 * 224 * 224, tensor.Length);
                Assert.All(tensor, v => Assert.True(float.IsFinite(v), what));
                decoded++;
            }
            catch (PhotoRejectedException e)
            {
                Assert.Contains(path, e.Message);
                rejected++;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{what} took {clock.Elapsed}");
        }

        // Cutting a photo short must be noticed at least for the early cuts (no half-grey pictures).
        Assert.True(rejected >= variants / 4, $"{rejected} rejected, {decoded} decoded");
    }
}
