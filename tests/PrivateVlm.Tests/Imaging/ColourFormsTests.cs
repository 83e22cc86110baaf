using PrivateVlm.Imaging;
using NetVips;

namespace PrivateVlm.Tests.Imaging;

/// <summary>CMYK, grey, 16-bit and alpha inputs all become 8-bit sRGB with the colour a viewer would show.</summary>
public sealed class ColourFormsTests : IDisposable
{
    // The context loads the daemon's choice of libvips before these tests call NetVips themselves.
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Theory]
    [InlineData("cmyk", "jpegsave", 20)]
    [InlineData("grey16", "pngsave", 2)]
    [InlineData("rgb16", "tiffsave", 2)]
    [InlineData("b-w", "webpsave", 3)]
    public async Task Other_colour_spaces_arrive_as_the_same_srgb_colour(string space, string saver, int tolerance)
    {
        // (150, 120, 100): a muted tone every colour space here can hold; grey variants hold only its luminance.
        var source = _context.ScratchFile("flat.png");
        TestPng.Write(source, 120, 80, (_, _) => (150, 120, 100));
        var converted = _context.ScratchFile($"flat-{space}.{saver[..^4]}");
        using (var image = Image.NewFromFile(source))
        using (var inSpace = image.Colourspace(Space(space)))
        {
            inSpace.WriteToFile(converted);
        }

        var tensor = await _context.Preparation.PrepareEncoderInputAsync(converted, EncoderInputSpec.Clip224, default);

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
        var source = _context.ScratchFile("opaque.png");
        TestPng.Write(source, 64, 64, (_, _) => (0, 0, 0));
        var transparent = _context.ScratchFile("transparent.png");
        using (var image = Image.NewFromFile(source))
        using (var withAlpha = image.Bandjoin(0))
        {
            withAlpha.WriteToFile(transparent);
        }

        var thumbnail = await _context.Preparation.GrayscaleThumbnailAsync(transparent, 8, 8, default);

        Assert.All(thumbnail, v => Assert.Equal(255, v));
    }

    private static Enums.Interpretation Space(string name) => name switch
    {
        "cmyk" => Enums.Interpretation.Cmyk,
        "grey16" => Enums.Interpretation.Grey16,
        "rgb16" => Enums.Interpretation.Rgb16,
        "b-w" => Enums.Interpretation.Bw,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
