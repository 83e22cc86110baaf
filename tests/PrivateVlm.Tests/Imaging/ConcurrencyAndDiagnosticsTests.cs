using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

public sealed class ConcurrencyAndDiagnosticsTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [CorpusFact]
    public async Task Workers_preparing_photos_at_once_get_the_same_results_as_one_at_a_time()
    {
        string[] photos =
        [
            .. Corpus.Files("exif-samples/jpg/orientation", "*.jpg").Where((_, i) => i % 3 == 0),
            HeicDecoding.HeicOrAvif("heic/xiaomi.heic"),
            // Truncated HEVC is known broken only where HEVC decodes; elsewhere it waits, so a corrupt box stands in.
            Corpus.File(HeicDecoding.Available ? "heic/truncated.heic" : "heic/corrupted.heic"),
            Corpus.File("exif-samples/jpg/corrupted.jpg"),
        ];
        async Task<string> Outcome(string path)
        {
            try
            {
                var grey = await _context.Preparation.GrayscaleThumbnailAsync(path, 16, 16, default);
                var vlm = await _context.Preparation.PrepareVlmImageAsync(path, new VlmImageBudget(100 * 28 * 28, 560, 80), default);
                return $"{Convert.ToHexString(grey)} {vlm.Width}x{vlm.Height}";
            }
            catch (PhotoRejectedException)
            {
                return "rejected";
            }
        }

        var sequential = new List<string>();
        foreach (var photo in photos)
        {
            sequential.Add(await Outcome(photo));
        }

        var parallel = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.WhenAll(photos.Select(Outcome))));

        Assert.All(parallel, run => Assert.Equal(sequential, run));
        Assert.Equal(2, sequential.Count(s => s == "rejected"));
    }

    [Fact]
    public void Doctor_reports_which_libvips_decodes_and_whether_heic_does()
    {
        var report = ImagingDiagnostics.Probe(new ImagingOptions());

        Assert.True(report.LibvipsLoaded, report.Problem);
        Assert.Null(report.Problem);
        var libvips = report.Libvips!;
        Assert.Matches(@"^8\.\d+\.\d+", libvips.Version);
        Assert.Contains(libvips.Origin, new[] { "system", "bundled", "configured" });
        Assert.True(File.Exists(libvips.LibraryPath), libvips.LibraryPath);
        // The HEIC line names what to install exactly when HEIC cannot be decoded here.
        Assert.Equal(!libvips.HeicDecoding, libvips.HeicLine.Contains("install libvips42 + libheif1 (Debian) / brew install vips (macOS)", StringComparison.Ordinal));
    }
}
