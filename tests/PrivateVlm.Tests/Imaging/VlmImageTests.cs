using PrivateVlm.Imaging;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>VLM images respect the pixel budget, the multiple-of-28 rule and the long-side cap, keep the aspect
/// ratio, never upscale, and are what the JPEG actually contains.</summary>
public sealed class VlmImageTests : IDisposable
{
    private const int M = VlmImageBudget.Multiple;
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    public static TheoryData<int, int> Sizes() => new()
    {
        { 4032, 3024 }, { 3024, 4032 }, { 4000, 4000 }, { 12000, 3000 }, { 30000, 400 }, { 400, 30000 },
        { 100000, 28 }, { 5000, 1 }, { 1, 5000 }, { 1, 1 }, { 27, 27 }, { 28, 28 }, { 29, 57 }, { 100, 100 },
        { 640, 480 }, { 1200, 1199 }, { 1920, 1080 }, { 1080, 1920 }, { 1157, 868 }, { 2000, 501 }, { 8000, 6000 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Every_size_fits_the_budget_and_the_28_grid(int width, int height)
    {
        foreach (var budget in new[] { VlmImageBudget.Default, new VlmImageBudget(256 * M * M, 640, 80), new VlmImageBudget(M * M, M, 50) })
        {
            var (w, h) = VlmImageSize.Fit(width, height, budget);

            Assert.True(w % M == 0 && h % M == 0, $"{w}x{h} not multiples of 28");
            Assert.True(w >= M && h >= M, $"{w}x{h} has a side under 28");
            Assert.True((long)w * h <= budget.MaxPixels, $"{w}x{h} over {budget.MaxPixels} px");
            Assert.True(Math.Max(w, h) <= budget.MaxLongSide, $"{w}x{h} over long side {budget.MaxLongSide}");
            Assert.True(w <= Math.Max(M, width) && h <= Math.Max(M, height), $"{width}x{height} upscaled to {w}x{h}");

            // Aspect ratio: off by no more than the 28-pixel rounding of the shorter side explains, unless a side
            // was pinned to the 28 minimum or the long-side cap.
            var pinned = w == M || h == M || Math.Max(w, h) == budget.MaxLongSide / M * M;
            if (!pinned)
            {
                var error = Math.Abs(Math.Log((double)w / h) - Math.Log((double)width / height));
                Assert.True(error <= Math.Log((Math.Min(w, h) + M) / (double)Math.Min(w, h)), $"{width}x{height} -> {w}x{h}");
            }
        }
    }

    [Fact]
    public void A_12_megapixel_photo_uses_almost_all_of_the_default_budget()
    {
        Assert.Equal((1148, 868), VlmImageSize.Fit(4032, 3024, VlmImageBudget.Default));
        Assert.Equal((868, 1148), VlmImageSize.Fit(3024, 4032, VlmImageBudget.Default));
    }

    [Theory]
    [InlineData(1600, 1200)]
    [InlineData(1200, 1600)]
    [InlineData(3000, 27)]
    [InlineData(27, 3000)]
    [InlineData(5000, 100)]
    [InlineData(20, 20)]
    [InlineData(29, 29)]
    [InlineData(1000, 999)]
    [InlineData(300, 200)]
    public async Task The_jpeg_sent_has_the_planned_size_and_no_metadata(int width, int height)
    {
        var photo = _context.ScratchFile($"gen-{width}x{height}.png");
        TestPng.Write(photo, width, height, (x, y) => ((byte)(x * 255 / width), (byte)(y * 255 / height), 90));
        var budget = new VlmImageBudget(300 * M * M, 1400, 80);

        var image = await _context.Preparation.PrepareVlmImageAsync(photo, budget, default);

        Assert.Equal(VlmImageSize.Fit(width, height, budget), (image.Width, image.Height));
        Assert.Equal(image.Jpeg.Length, image.Bytes);
        var sent = _context.ScratchFile($"sent-{width}x{height}.jpg");
        await File.WriteAllBytesAsync(sent, image.Jpeg);
        var header = await _context.Preparation.ReadHeaderAsync(sent, default);
        Assert.Equal(("jpeg", image.Width, image.Height, 1), (header.Format, header.Width, header.Height, header.Orientation));
        Assert.DoesNotContain("Exif", System.Text.Encoding.ASCII.GetString(image.Jpeg));
    }

    [CorpusFact]
    public async Task A_rotated_camera_jpeg_is_sent_upright_without_its_exif()
    {
        var path = Corpus.File("exif-samples/jpg/orientation/portrait_6.jpg");
        var header = await _context.Preparation.ReadHeaderAsync(path, default);

        var image = await _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default);

        Assert.True(header.Height > header.Width);
        Assert.Equal(VlmImageSize.Fit(header.Width, header.Height, VlmImageBudget.Default), (image.Width, image.Height));
        Assert.DoesNotContain("Exif", System.Text.Encoding.ASCII.GetString(image.Jpeg));
    }

    [CorpusFact]
    public async Task Higher_quality_costs_more_bytes()
    {
        var path = Corpus.File("exif-samples/jpg/orientation/landscape_1.jpg");
        var low = await _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default with { Quality = 40 }, default);
        var high = await _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default with { Quality = 95 }, default);

        Assert.Equal((low.Width, low.Height), (high.Width, high.Height));
        Assert.True(high.Bytes > low.Bytes * 1.5, $"Q95 {high.Bytes} bytes vs Q40 {low.Bytes} bytes");
    }
}
