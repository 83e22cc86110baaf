using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

public sealed class ConcurrencyAndDiagnosticsTests : IDisposable
{
    private readonly ImagingTestContext context = new();

    public void Dispose() => context.Dispose();

    [CorpusFact]
    public async Task Workers_preparing_photos_at_once_get_the_same_results_as_one_at_a_time()
    {
        string[] photos =
        [
            .. Corpus.Files("exif-samples/jpg/orientation", "*.jpg").Where((_, i) => i % 3 == 0),
            Corpus.File("heic/xiaomi.heic"),
            Corpus.File("heic/truncated.heic"),
            Corpus.File("exif-samples/jpg/corrupted.jpg"),
        ];
        async Task<string> Outcome(string path)
        {
            try
            {
                var grey = await context.Preparation.GrayscaleThumbnailAsync(path, 16, 16, default);
                var vlm = await context.Preparation.PrepareVlmImageAsync(path, new VlmImageBudget(100 * 28 * 28, 560, 80), default);
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
    public void Doctor_reports_the_libvips_version_and_heic_support()
    {
        var report = ImagingDiagnostics.Probe(new ImagingOptions());

        Assert.True(report.LibvipsLoaded, report.Problem);
        Assert.Matches(@"^8\.\d+\.\d+", report.LibvipsVersion);
        Assert.True(report.HeicDecoding, "the test machine has libvips' HEIF module (libvips42 + libheif)");
        Assert.Null(report.Problem);
    }
}
