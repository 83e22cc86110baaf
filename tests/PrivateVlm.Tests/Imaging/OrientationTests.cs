using NetVips;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>All eight EXIF orientations of the same photo come out as the same upright picture.</summary>
public sealed class OrientationTests : IDisposable
{
    private const double SamePicture = 0.95;
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [CorpusTheory]
    [InlineData("landscape", 2)]
    [InlineData("landscape", 3)]
    [InlineData("landscape", 4)]
    [InlineData("landscape", 5)]
    [InlineData("landscape", 6)]
    [InlineData("landscape", 7)]
    [InlineData("landscape", 8)]
    [InlineData("portrait", 2)]
    [InlineData("portrait", 3)]
    [InlineData("portrait", 4)]
    [InlineData("portrait", 5)]
    [InlineData("portrait", 6)]
    [InlineData("portrait", 7)]
    [InlineData("portrait", 8)]
    public async Task Every_orientation_yields_the_upright_picture_of_orientation_1(string shape, int orientation)
    {
        var reference = await Thumb($"{shape}_1.jpg");
        var oriented = await Thumb($"{shape}_{orientation}.jpg");

        var correlation = ImagingTestContext.Correlation(reference, oriented);
        Assert.True(correlation > SamePicture,
            $"{shape}_{orientation} differs from {shape}_1 after auto-orientation (correlation {correlation:F3})");
        var header = await _context.Preparation.ReadHeaderAsync(Corpus.File($"exif-samples/jpg/orientation/{shape}_{orientation}.jpg"), default);
        Assert.Equal(orientation, header.Orientation);
        Assert.Equal(shape == "landscape", header.Width > header.Height);
    }

    [CorpusFact]
    public async Task The_threshold_tells_different_pictures_and_wrong_rotations_apart()
    {
        var landscape = await Thumb("landscape_1.jpg");
        var portrait = await Thumb("portrait_1.jpg");
        var different = ImagingTestContext.Correlation(landscape, portrait);
        Assert.True(different < SamePicture, $"landscape vs portrait correlate at {different:F3}");

        // What a decoder that ignored the orientation tag would produce: the picture turned or mirrored.
        var upsideDown = ImagingTestContext.Correlation(landscape, Turn(landscape, 32, (x, y) => (31 - x, 31 - y)));
        var transposed = ImagingTestContext.Correlation(landscape, Turn(landscape, 32, (x, y) => (y, x)));
        var mirrored = ImagingTestContext.Correlation(landscape, Turn(landscape, 32, (x, y) => (31 - x, y)));
        Assert.True(upsideDown < SamePicture, $"upside-down correlates at {upsideDown:F3}");
        Assert.True(transposed < SamePicture, $"transposed correlates at {transposed:F3}");
        Assert.True(mirrored < SamePicture, $"mirrored correlates at {mirrored:F3}");
    }

    [CorpusTheory]
    [InlineData("landscape", 3)]
    [InlineData("landscape", 6)]
    [InlineData("landscape", 8)]
    [InlineData("portrait", 6)]
    public async Task Without_auto_orientation_the_stored_pixels_do_not_pass_as_upright(string shape, int orientation)
    {
        var upright = await Thumb($"{shape}_1.jpg");

        var stored = StoredPixels(Corpus.File($"exif-samples/jpg/orientation/{shape}_{orientation}.jpg"));

        var correlation = ImagingTestContext.Correlation(upright, stored);
        Assert.True(correlation < SamePicture, $"{shape}_{orientation} as stored correlates at {correlation:F3}");
    }

    /// <summary>The same 32x32 grey thumbnail, but through libvips with no_rotate: the pixels as the file stores them.</summary>
    private static byte[] StoredPixels(string path)
    {
        // The context built for this test has loaded the daemon's libvips already.
        using var thumbnail = Image.Thumbnail(path, 32, height: 32, size: Enums.Size.Force, noRotate: true);
        using var grey = thumbnail.Colourspace(Enums.Interpretation.Bw);
        return grey.WriteToMemory<byte>();
    }

    private Task<byte[]> Thumb(string name) =>
        _context.Preparation.GrayscaleThumbnailAsync(Corpus.File($"exif-samples/jpg/orientation/{name}"), 32, 32, default);

    private static byte[] Turn(byte[] pixels, int side, Func<int, int, (int X, int Y)> source)
    {
        var turned = new byte[pixels.Length];
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                var (sx, sy) = source(x, y);
                turned[y * side + x] = pixels[sy * side + sx];
            }
        }

        return turned;
    }
}
