using System.Diagnostics;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>Broken, hostile and unsupported files become clear per-photo rejections; odd but decodable files work.</summary>
public sealed class InputContractTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [CorpusTheory]
    [InlineData("heic/corrupted.heic", "heif")]
    [InlineData("heic/empty.heic", "empty file")]
    [InlineData("exif-samples/jpg/corrupted.jpg", "cannot decode jpeg")]
    public Task Broken_files_are_rejected_with_the_reason(string file, string reason) => RejectedWith(file, reason);

    /// <summary>A cut-short HEVC stream is known broken only where HEVC decodes; elsewhere the photo waits.</summary>
    [HeicTheory]
    [InlineData("heic/truncated.heic", "heif")]
    public Task Broken_heic_files_are_rejected_with_the_reason(string file, string reason) => RejectedWith(file, reason);

    private async Task RejectedWith(string file, string reason)
    {
        var path = Corpus.File(file);

        var vlm = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default));
        var encoder = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => _context.Preparation.PrepareEncoderInputAsync(path, EncoderInputSpec.Clip224, default));

        Assert.Contains(reason, vlm.Message);
        Assert.Contains(path, vlm.Message);
        Assert.Contains(reason, encoder.Message);
    }

    // The "invalid" samples carry malformed EXIF, but their pixel data is intact (vips avg reads them all): they
    // must be processed, upright at the size exiftool reports, not refused.
    [CorpusTheory]
    [InlineData("image00971.jpg", 636, 227)]
    [InlineData("image01088.jpg", 425, 120)]
    [InlineData("image01137.jpg", 88, 64)]
    [InlineData("image01551.jpg", 61, 58)]
    [InlineData("image01713.jpg", 49, 500)]
    [InlineData("image01980.jpg", 284, 25)]
    [InlineData("image02206.jpg", 65, 65)]
    public async Task Jpegs_with_malformed_exif_but_intact_pixels_are_processed(string file, int width, int height)
    {
        var path = Corpus.File("exif-samples/jpg/invalid/" + file);

        var header = await _context.Preparation.ReadHeaderAsync(path, default);
        var vlm = await _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default);
        var tensor = await _context.Preparation.PrepareEncoderInputAsync(path, EncoderInputSpec.Clip224, default);

        Assert.Equal((width, height), (header.Width, header.Height));
        Assert.Equal(VlmImageSize.Fit(width, height, VlmImageBudget.Default), (vlm.Width, vlm.Height));
        Assert.Equal(3 * 224 * 224, tensor.Length);
    }

    [Fact]
    public async Task A_decompression_bomb_is_refused_from_its_header_without_decoding()
    {
        var bomb = _context.ScratchFile("bomb.png");
        TestPng.WriteHeaderOnly(bomb, 30_000, 30_000);
        Assert.True(new FileInfo(bomb).Length < 1024, "the bomb is tiny on disk");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => _context.Preparation.PrepareEncoderInputAsync(bomb, EncoderInputSpec.Clip224, default));
        clock.Stop();

        Assert.Contains("Imaging:MaxPixels", error.Message);
        Assert.Contains("30000 x 30000", error.Message);
        // Decoding 900 MP would take many seconds and 2.7 GB; the header alone takes milliseconds, so this bound holds on a
        // heavily loaded machine too.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Files_over_the_size_limit_are_refused_before_reading()
    {
        using var strict = new ImagingTestContext(new ImagingOptions { MaxFileBytes = 1000 });
        var photo = strict.ScratchFile("photo.png");
        TestPng.Write(photo, 64, 64, (x, y) => ((byte)(x * 4), (byte)(y * 4), (byte)(x ^ y)));

        var error = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => strict.Preparation.ReadHeaderAsync(photo, default));

        Assert.Contains("Imaging:MaxFileBytes", error.Message);
    }

    [Fact]
    public async Task Formats_outside_the_supported_set_are_named_in_the_rejection()
    {
        var gif = _context.ScratchFile("photo.gif");
        await File.WriteAllBytesAsync(gif, Convert.FromHexString(
            "4749463839610100010080000000FFFFFF00000021F90401000000002C00000000010001000002024401003B"));
        var text = _context.ScratchFile("notes.jpg");
        await File.WriteAllTextAsync(text, "not a photo at all, just text with a .jpg name");

        var gifError = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => _context.Preparation.PrepareVlmImageAsync(gif, VlmImageBudget.Default, default));
        var textError = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => _context.Preparation.PrepareVlmImageAsync(text, VlmImageBudget.Default, default));

        Assert.StartsWith("unsupported format: gif", gifError.Message);
        Assert.StartsWith("unsupported format: not an image", textError.Message);
    }

    [Fact]
    public async Task The_format_comes_from_the_content_not_the_extension()
    {
        var disguised = _context.ScratchFile("really-a-png.heic");
        TestPng.Write(disguised, 90, 60, (x, y) => (200, (byte)x, (byte)y));

        var header = await _context.Preparation.ReadHeaderAsync(disguised, default);
        var vlm = await _context.Preparation.PrepareVlmImageAsync(disguised, VlmImageBudget.Default, default);

        Assert.Equal(("png", 90, 60), (header.Format, header.Width, header.Height));
        Assert.Equal((84, 56), (vlm.Width, vlm.Height));
    }

    [CorpusFact]
    public async Task A_decode_past_the_time_limit_is_rejected_and_abandoned()
    {
        using var hurried = new ImagingTestContext(new ImagingOptions { TimeLimit = TimeSpan.FromMilliseconds(1) });
        var path = HeicDecoding.HeicOrAvif("exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => hurried.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default));
        var waited = clock.Elapsed;

        Assert.Contains("Imaging:TimeLimit", error.Message);

        // The caller did not wait for the decode: compared with the same decode without a limit, measured now on the
        // same (possibly loaded) machine rather than against a fixed time.
        using var patient = new ImagingTestContext(new ImagingOptions());
        var full = Stopwatch.StartNew();
        await patient.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default);
        Assert.True(waited < full.Elapsed, $"the caller waited {waited} for a 1 ms limit; the whole decode takes {full.Elapsed}");

        // The abandoned native work still finishes in the background and is accounted for.
        await Eventually.TrueAsync(() => ImagingDiagnostics.Probe(hurried.Options).AbandonedDecodes == 0, TimeSpan.FromSeconds(60));
        Assert.Equal(0, ImagingDiagnostics.Probe(hurried.Options).AbandonedDecodes);
    }
}
