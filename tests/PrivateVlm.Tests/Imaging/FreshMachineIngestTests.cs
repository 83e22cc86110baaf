using NetVips;
using PrivateVlm.Imaging;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>
/// What a machine with only the .NET SDK gets from the daemon: JPEG, PNG, WebP and AVIF photos go through L0 and
/// clustering with whichever libvips this process has (the bundled one when no system libvips is installed; CI runs
/// this with PRIVATEVLM_LIBVIPS=bundled), and an iPhone HEIC this libvips cannot decode waits, never fails.
/// </summary>
public sealed class FreshMachineIngestTests : IDisposable
{
    private readonly TempLibrary _library = new();

    public void Dispose() => _library.Dispose();

    [CorpusFact]
    public async Task Jpeg_png_webp_and_avif_reach_clustering_and_an_undecodable_heic_waits()
    {
        var choice = LoadedLibvips.Load(null);
        _library.Drop(Corpus.File("exif-samples/jpg/Canon_40D.jpg"), "camera.jpg");
        var png = Corpus.File("near-dup/burst/2018-12-11-16-28400.png");
        _library.Drop(png, "frame.png");
        using (var image = Image.NewFromFile(Corpus.File("near-dup/ukbench/base/ukbench00120.jpg")))
        {
            _library.Write("scene.webp", image.WebpsaveBuffer(q: 80));
        }

        _library.Drop(Corpus.File("formats/avif/32Bit-72dpi-sRGB-800x600.avif"), "still.avif");
        _library.Drop(Corpus.File("heic/pug.heic"), "iphone.heic");

        await using (await InProcessDaemon.StartAsync(_library))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") >= 4
                      && _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 5
                      && (choice.HeicDecoding
                          ? _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 5
                          : _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND last_error LIKE 'not available on this machine:%'") == 1),
                $"every photo through L0 and clustering with {choice.Describe()}",
                TimeSpan.FromMinutes(3),
                () => string.Join("; ", _library.Query<(string, string, string?)>("SELECT stage, state, last_error FROM jobs")));
        }

        Assert.Equal(0L, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
        var formats = _library.Query<string>(
            "SELECT f.path FROM files f JOIN jobs j ON j.photo_id = f.photo_id WHERE j.stage = 'clustering' AND j.state = 'done'")
            .Select(Path.GetExtension).Order().ToList();
        Assert.Equal(choice.HeicDecoding ? [".avif", ".heic", ".jpg", ".png", ".webp"] : [".avif", ".jpg", ".png", ".webp"], formats);
        if (!choice.HeicDecoding)
        {
            var waiting = _library.Scalar<string>("SELECT last_error FROM jobs WHERE stage = 'clustering' AND state = 'queued'");
            Assert.Contains(LibvipsChoice.HeicInstall, waiting);
            Assert.Equal(0L, _library.Scalar<long>("SELECT attempts FROM jobs WHERE stage = 'clustering' AND state = 'queued'"));
        }
    }
}
