using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>
/// Which libvips the process decodes with: the system one when it decodes HEIC, else the one bundled with NetVips;
/// only one per process, and whatever the choice an iPhone HEIC that cannot be decoded waits instead of failing.
/// </summary>
public sealed class LibvipsChoiceTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Fact]
    public void Exactly_one_libvips_is_mapped_into_the_process_and_it_is_the_chosen_one()
    {
        var choice = LoadedLibvips.Load(null);
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc/self/maps is Linux's; the rule is the same elsewhere
        }

        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Where(path => Path.GetFileName(path).StartsWith("libvips.so", StringComparison.Ordinal))
            .Select(path => new FileInfo(path).FullName)
            .Distinct()
            .ToList();

        var only = Assert.Single(mapped);
        Assert.Equal(Resolve(choice.LibraryPath), Resolve(only));
    }

    [CorpusFact]
    public async Task A_heic_this_machine_cannot_decode_waits_and_names_what_to_install()
    {
        var heic = Corpus.File("heic/pug.heic");
        if (HeicDecoding.Available)
        {
            var header = await _context.Preparation.ReadHeaderAsync(heic, default);
            Assert.Equal("heif", header.Format);
            return;
        }

        var waiting = await Assert.ThrowsAsync<NotAvailableHereException>(
            () => _context.Preparation.PrepareEncoderInputAsync(heic, EncoderInputSpec.Clip224, default));
        Assert.Contains("HEIC (HEVC)", waiting.What);
        Assert.Equal(LibvipsChoice.HeicInstall, waiting.Install);
        Assert.StartsWith(NotAvailableHereException.ReasonPrefix, waiting.Reason);
    }

    [CorpusFact]
    public async Task Avif_decodes_with_either_libvips()
    {
        var avif = Directory.GetFiles(Corpus.File("formats/avif"), "*.avif").OrderBy(f => new FileInfo(f).Length).First();

        var image = await _context.Preparation.PrepareVlmImageAsync(avif, VlmImageBudget.Default, default);

        Assert.Equal(new byte[] { 0xFF, 0xD8 }, image.Jpeg[..2]);
    }

    [CorpusFact]
    public async Task A_damaged_photo_is_rejected_with_libvips_own_reason()
    {
        var path = _context.ScratchFile("damaged.jpg");
        var bytes = File.ReadAllBytes(Corpus.File("exif-samples/jpg/Canon_40D.jpg"));
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);

        var rejected = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => _context.Preparation.PrepareEncoderInputAsync(path, EncoderInputSpec.Clip224, default));

        // "cannot decode jpeg: <libvips' words>: PATH" (or "unreadable jpeg header: ..."), on one line.
        Assert.Matches("^(cannot decode jpeg|unreadable jpeg header): ", rejected.Message);
        Assert.Contains("premature end", rejected.Message, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith(": " + path, rejected.Message);
        Assert.DoesNotContain('\n', rejected.Message);
    }

    [Fact]
    public void The_bundled_libvips_ships_beside_the_assemblies_outside_the_native_probing_paths()
    {
        Assert.True(File.Exists(LoadedLibvips.BundledPath), $"{LoadedLibvips.BundledPath} is missing from the build output");
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, Path.GetFileName(LoadedLibvips.BundledPath))),
            "a libvips in the application folder would be found by .NET's own probing and loaded beside the chosen one");
    }

    private static string Resolve(string path)
    {
        var info = new FileInfo(path);
        return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
    }
}
