using PrivateVlm.Imaging;
using PrivateVlm.Interop.Vips;

namespace PrivateVlm.Tests.Imaging;

/// <summary>CMYK, grey, 16-bit and alpha inputs all become 8-bit sRGB with the colour a viewer would show.</summary>
public sealed class ColourFormsTests : IDisposable
{
    private readonly ImagingTestContext context = new();
    private readonly VipsLibrary vips = VipsLibrary.Load(null);

    public void Dispose() => context.Dispose();

    [Theory]
    [InlineData("cmyk", "jpegsave", 20)]
    [InlineData("grey16", "pngsave", 2)]
    [InlineData("rgb16", "tiffsave", 2)]
    [InlineData("b-w", "webpsave", 3)]
    public async Task Other_colour_spaces_arrive_as_the_same_srgb_colour(string space, string saver, int tolerance)
    {
        // (150, 120, 100): a muted tone every colour space here can hold; grey variants hold only its luminance.
        var source = context.ScratchFile("flat.png");
        TestPng.Write(source, 120, 80, (_, _) => (150, 120, 100));
        var converted = context.ScratchFile($"flat-{space}.{saver[..^4]}");
        using (var load = new VipsOperationCall(vips, "pngload").Set("filename", source).Build())
        using (var image = load.GetImage("out"))
        using (var colour = new VipsOperationCall(vips, "colourspace").Set("in", image).Set("space", Space(space)).Build())
        using (var inSpace = colour.GetImage("out"))
        using (new VipsOperationCall(vips, saver).Set("in", inSpace).Set("filename", converted).Build())
        {
        }

        var tensor = await context.Preparation.PrepareEncoderInputAsync(converted, EncoderInputSpec.Clip224, default);

        var grey = space is "grey16" or "b-w";
        var expected = grey ? new[] { 125, 125, 125 } : new[] { 150, 120, 100 };
        for (var c = 0; c < 3; c++)
        {
            var level = tensor[c * 224 * 224 + 112 * 224 + 112] * EncoderInputSpec.Clip224.Std[c] + EncoderInputSpec.Clip224.Mean[c];
            Assert.InRange(level * 255, expected[c] - tolerance, expected[c] + tolerance);
        }
    }

    [Fact]
    public async Task Transparent_pixels_are_shown_on_white()
    {
        var source = context.ScratchFile("opaque.png");
        TestPng.Write(source, 64, 64, (_, _) => (0, 0, 0));
        var transparent = context.ScratchFile("transparent.png");
        using (var load = new VipsOperationCall(vips, "pngload").Set("filename", source).Build())
        using (var image = load.GetImage("out"))
        using (var join = new VipsOperationCall(vips, "bandjoin_const").Set("in", image).Set("c", new[] { 0.0 }).Build())
        using (var withAlpha = join.GetImage("out"))
        using (new VipsOperationCall(vips, "pngsave").Set("in", withAlpha).Set("filename", transparent).Build())
        {
        }

        var thumbnail = await context.Preparation.GrayscaleThumbnailAsync(transparent, 8, 8, default);

        Assert.All(thumbnail, v => Assert.Equal(255, v));
    }

    private static int Space(string name) => name switch
    {
        "cmyk" => 15,
        "grey16" => 26,
        "rgb16" => 25,
        "b-w" => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
