using PrivateVlm.Imaging;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>Real phone HEIC/HEIF files decode upright at the size exiftool reports (ImageWidth x ImageHeight,
/// swapped when the HEIF irot box / EXIF orientation turns the picture by 90 degrees).</summary>
public sealed class HeicTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    // exiftool -n: pug 4032x3024 Orientation 1; arrow 4032x3024 Orientation 6 / Rotation 270;
    // iphone_13_pro_max 4032x3024 Orientation 6 / Rotation 270; IMG_5195 2566x3313; xiaomi 2592x1944 Orientation 1.
    [HeicTheory]
    [InlineData("heic/pug.heic", 4032, 3024)]
    [InlineData("heic/arrow.heic", 3024, 4032)]
    [InlineData("exif-samples/heic/mobile/iphone_13_pro_max.HEIC", 3024, 4032)]
    [InlineData("exif-samples/heic/IMG_5195.HEIC", 2566, 3313)]
    [InlineData("heic/xiaomi.heic", 2592, 1944)]
    [InlineData("exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif", 4608, 3456)]
    public async Task Phone_heic_decodes_upright_at_its_real_size(string file, int width, int height)
    {
        var path = Corpus.File(file);

        var header = await _context.Preparation.ReadHeaderAsync(path, default);
        Assert.Equal(("heif", width, height), (header.Format, header.Width, header.Height));

        var vlm = await _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default);
        Assert.Equal(VlmImageSize.Fit(width, height, VlmImageBudget.Default), (vlm.Width, vlm.Height));
        Assert.Equal(width > height, vlm.Width > vlm.Height);
        Assert.Equal(new byte[] { 0xFF, 0xD8 }, vlm.Jpeg[..2]);

        var tensor = await _context.Preparation.PrepareEncoderInputAsync(path, EncoderInputSpec.Clip224, default);
        Assert.Equal(3 * 224 * 224, tensor.Length);
        Assert.True(tensor.Distinct().Count() > 100, "a real photo gives varied pixel values");
    }

    [HeicTheory]
    [InlineData("heic/RGBA_10__128x128.heif")]
    [InlineData("heic/RGB_8__128x128.heif")]
    [InlineData("heic/empty_icc.heic")]
    [InlineData("heic/L_exif_xmp_iptc.heic")]
    public async Task Ten_bit_alpha_and_unusual_profiles_become_8_bit_srgb(string file)
    {
        var path = Corpus.File(file);
        var header = await _context.Preparation.ReadHeaderAsync(path, default);

        var vlm = await _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default);
        var thumbnail = await _context.Preparation.GrayscaleThumbnailAsync(path, 8, 8, default);

        Assert.Equal(VlmImageSize.Fit(header.Width, header.Height, VlmImageBudget.Default), (vlm.Width, vlm.Height));
        Assert.Equal(64, thumbnail.Length);
        var vlmBack = await JpegHeader(vlm);
        Assert.Equal(("jpeg", vlm.Width, vlm.Height), (vlmBack.Format, vlmBack.Width, vlmBack.Height));
    }

    private async Task<PhotoHeader> JpegHeader(VlmImage image)
    {
        var file = _context.ScratchFile(Guid.NewGuid().ToString("N") + ".jpg");
        await File.WriteAllBytesAsync(file, image.Jpeg);
        return await _context.Preparation.ReadHeaderAsync(file, default);
    }
}
