using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Imaging;

/// <summary>
/// Stages of the pipeline take their pixels from one decode per photo (the working image): what each receives is the
/// picture a decode of its own gave before, the photo is not decoded again while it is held, and the working image
/// goes once both tiers took their JPEG.
/// </summary>
public sealed class WorkingImageTests(ITestOutputHelper output) : IDisposable
{
    private static readonly EncoderInputSpec Spec = EncoderInputSpec.Clip224;
    private const float OneLevel = 1f / 255 / 0.26f; // one 8-bit step after normalisation

    private readonly ImagingTestContext _direct = new();

    public void Dispose() => _direct.Dispose();

    public static TheoryData<string> Photos => new()
    {
        "exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg",
        "exif-samples/jpg/orientation/portrait_6.jpg",
        "formats/avif/Issue 649.avif", // 5472 x 3648, decodes with the bundled libvips too
    };

    [CorpusTheory]
    [MemberData(nameof(Photos))]
    public Task Each_stage_gets_the_picture_its_own_decode_gave(string file) => SameAsOwnDecodeAsync(Corpus.File(file));

    [HeicFact]
    public Task An_iphone_heic_without_a_usable_thumbnail_gives_each_stage_the_picture_its_own_decode_gave() =>
        SameAsOwnDecodeAsync(Corpus.File("heic/pug.heic"));

    [HeicFact]
    public async Task An_iphone_heics_embedded_thumbnail_serves_the_small_outputs_and_the_full_picture_is_decoded_once_for_both_tiers()
    {
        var path = Corpus.File("exif-samples/heic/mobile/iphone_13_pro_max.HEIC"); // 3024 x 4032 with a 240 x 320 thumbnail
        using var imaging = Planned(new ImagingOptions());

        await imaging.PrepareEncoderInputAsync(Job(path, "embedding"), Spec, default);
        await PhotoHashes.OfPhotoAsync(imaging, Job(path, "clustering"), default);
        Assert.Equal(0, imaging.WorkingImages.Photos); // the thumbnail was enough: no full decode yet

        var both = await Task.WhenAll(
            imaging.PrepareVlmImageAsync(Job(path, "quick"), VlmImageBudget.Default, default),
            imaging.PrepareVlmImageAsync(Job(path, "deep"), VlmImageBudget.Default, default));

        Assert.Same(both[0], both[1]); // one decode, one JPEG, though both tiers asked at once
        Assert.Equal(VlmImageSize.Fit(3024, 4032, VlmImageBudget.Default), (both[0].Width, both[0].Height));
        Assert.Equal(0, imaging.WorkingImages.Photos);
    }

    [Fact]
    public async Task A_photo_rewritten_in_place_is_decoded_again()
    {
        var path = _direct.ScratchFile("rewritten.png");
        TestPng.Write(path, 640, 480, (_, _) => (255, 0, 0));
        using var imaging = Planned(new ImagingOptions());

        var red = await imaging.PrepareEncoderInputAsync(Job(path, "embedding"), Spec, default);
        TestPng.Write(path, 600, 480, (_, _) => (0, 0, 255));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var blue = await imaging.PrepareEncoderInputAsync(Job(path, "embedding"), Spec, default);

        var plane = 224 * 224;
        Assert.True(red[plane / 2] > 1.5f && blue[plane / 2] < -1.5f, "the red plane follows the file's new content");
        Assert.True(blue[2 * plane + plane / 2] > 1.5f, "the blue plane follows the file's new content");
    }

    [Fact]
    public async Task Over_its_memory_bound_the_least_recently_used_photo_goes_and_is_decoded_again_when_asked()
    {
        var first = _direct.ScratchFile("first.png");
        var second = _direct.ScratchFile("second.png");
        TestPng.Write(first, 640, 480, (x, _) => ((byte)(x / 3), 0, 0));
        TestPng.Write(second, 640, 480, (_, y) => (0, (byte)(y / 2), 0));
        using var imaging = Planned(new ImagingOptions { WorkingImageMemory = 1 });

        await imaging.PrepareEncoderInputAsync(Job(first, "embedding", photoId: 1), Spec, default);
        await imaging.PrepareEncoderInputAsync(Job(second, "embedding", photoId: 2), Spec, default);
        Assert.Equal(1, imaging.WorkingImages.Photos);

        var again = await imaging.PrepareVlmImageAsync(Job(first, "quick", photoId: 1), VlmImageBudget.Default, default);
        var own = await _direct.Preparation.PrepareVlmImageAsync(first, VlmImageBudget.Default, default);
        Assert.Equal((own.Width, own.Height), (again.Width, again.Height));
    }

    [Fact]
    public async Task A_working_image_nobody_asks_for_within_its_lifetime_is_dropped()
    {
        var path = _direct.ScratchFile("member.png");
        TestPng.Write(path, 640, 480, (x, y) => ((byte)x, (byte)y, 0));
        var clock = new ManualClock();
        using var imaging = Planned(new ImagingOptions { WorkingImageLifetime = TimeSpan.FromMinutes(10) }, clock);

        await imaging.PrepareEncoderInputAsync(Job(path, "embedding"), Spec, default);
        clock.Advance(TimeSpan.FromMinutes(9));
        await imaging.ReadHeaderAsync(Job(path, "clustering"), default);
        Assert.Equal(1, imaging.WorkingImages.Photos); // used again: its lifetime starts over

        clock.Advance(TimeSpan.FromMinutes(10)); // e.g. a near-duplicate whose tiers inherit and never ask
        await imaging.ReadHeaderAsync(Job(path, "clustering"), default);
        Assert.Equal((0, 0L), imaging.WorkingImages);
    }

    private async Task SameAsOwnDecodeAsync(string path)
    {
        using var imaging = Planned(new ImagingOptions());

        var tensor = await imaging.PrepareEncoderInputAsync(Job(path, "embedding"), Spec, default);
        var hashes = await PhotoHashes.OfPhotoAsync(imaging, Job(path, "clustering"), default);
        var quick = await imaging.PrepareVlmImageAsync(Job(path, "quick"), VlmImageBudget.Default, default);
        Assert.Equal(1, imaging.WorkingImages.Photos);
        var deep = await imaging.PrepareVlmImageAsync(Job(path, "deep"), VlmImageBudget.Default, default);
        Assert.Equal(0, imaging.WorkingImages.Photos); // both tiers took theirs: the working image is gone

        var ownTensor = await _direct.Preparation.PrepareEncoderInputAsync(path, Spec, default);
        var ownHashes = await PhotoHashes.OfPhotoAsync(_direct.Preparation, path, default);
        var ownJpeg = await _direct.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default);

        Assert.Same(quick, deep);
        Assert.Equal((ownJpeg.Width, ownJpeg.Height), (quick.Width, quick.Height));
        var sent = await Pixels(quick);
        var own = await Pixels(ownJpeg);
        var jpegCorrelation = ImagingTestContext.Correlation(sent, own);

        // The tensor resized from the working image against the one decoded straight to 224 px.
        var meanDifference = tensor.Zip(ownTensor, (a, b) => Math.Abs(a - b)).Average();
        var tensorCorrelation = ImagingTestContext.Correlation(tensor, ownTensor);
        output.WriteLine($"{Path.GetFileName(path)}: tensor mean |diff| {meanDifference:F4}, r = {tensorCorrelation:F5}; " +
                         $"JPEG r = {jpegCorrelation:F5}; pHash {hashes.DctDistance(ownHashes)}, dHash {hashes.DifferenceDistance(ownHashes)}, " +
                         $"centre {hashes.TiltedDistance(ownHashes)} bits");
        Assert.True(jpegCorrelation > 0.999, $"JPEG r = {jpegCorrelation}"); // a crop of the same resize: the same picture
        Assert.True(tensorCorrelation > 0.999, $"tensor r = {tensorCorrelation}");
        Assert.True(meanDifference < 2 * OneLevel, $"tensor mean |diff| = {meanDifference}"); // measured 0.4-0.75 of a level
        // Same photo by the grouping's own measure: far inside what it calls a near-duplicate.
        Assert.InRange(hashes.DctDistance(ownHashes), 0, 4);
        Assert.InRange(hashes.DifferenceDistance(ownHashes), 0, 4);
    }

    private async Task<byte[]> Pixels(VlmImage image)
    {
        var file = _direct.ScratchFile(Guid.NewGuid().ToString("N") + ".jpg");
        await File.WriteAllBytesAsync(file, image.Jpeg);
        var header = await _direct.Preparation.ReadHeaderAsync(file, default);
        return await _direct.Preparation.GrayscaleThumbnailAsync(file, header.Width, header.Height, default);
    }

    /// <summary>As the daemon wires it: both tiers enabled at the default budget.</summary>
    private static ImagePreparation Planned(ImagingOptions options, TimeProvider? time = null)
    {
        var imaging = new ImagePreparation(Options.Create(options), NullLogger<ImagePreparation>.Instance, time);
        imaging.PlanVlmImages("quick", VlmImageBudget.Default);
        imaging.PlanVlmImages("deep", VlmImageBudget.Default);
        return imaging;
    }

    private static PhotoJob Job(string path, string stage, long photoId = 1) => new(photoId * 10, photoId, stage, "sha", path, 1);
}
