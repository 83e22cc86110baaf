using PrivateVlm.Imaging;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>The encoder tensor has the shape, channel order, layout and normalisation the model config asks for.</summary>
public sealed class EncoderInputTests : IDisposable
{
    private static readonly EncoderInputSpec Spec = EncoderInputSpec.Clip224;
    private const float OneLevel = 1f / 255 / 0.26f; // one 8-bit step after normalisation

    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Theory]
    [InlineData(255, 0, 0)]
    [InlineData(0, 255, 0)]
    [InlineData(0, 0, 255)]
    [InlineData(128, 64, 32)]
    public async Task A_flat_colour_gives_each_channel_its_normalised_value_in_RGB_order(byte r, byte g, byte b)
    {
        var photo = _context.ScratchFile($"flat-{r}-{g}-{b}.png");
        TestPng.Write(photo, 300, 200, (_, _) => (r, g, b));

        var tensor = await _context.Preparation.PrepareEncoderInputAsync(photo, Spec, default);

        Assert.Equal(Spec.TensorLength, tensor.Length);
        byte[] rgb = [r, g, b];
        for (var c = 0; c < 3; c++)
        {
            var expected = (rgb[c] / 255f - Spec.Mean[c]) / Spec.Std[c];
            var plane = tensor.AsSpan(c * 224 * 224, 224 * 224).ToArray();
            Assert.All(plane, v => Assert.InRange(v, expected - OneLevel * 1.5f, expected + OneLevel * 1.5f));
        }
    }

    [Fact]
    public async Task Rows_run_top_to_bottom_and_the_square_is_cut_from_the_centre()
    {
        // 600 x 400: the centre 400 x 400 spans x = 100..499. Left of x=100 is green (cropped away), the top half of
        // the kept square is red, the bottom half blue.
        var photo = _context.ScratchFile("halves.png");
        TestPng.Write(photo, 600, 400, (x, y) => x < 100 || x >= 500 ? ((byte)0, (byte)255, (byte)0)
            : y < 200 ? ((byte)255, (byte)0, (byte)0) : ((byte)0, (byte)0, (byte)255));

        var tensor = await _context.Preparation.PrepareEncoderInputAsync(photo, Spec, default);

        float At(int c, int y, int x) => tensor[c * 224 * 224 + y * 224 + x];
        var high = (1f - Spec.Mean[0]) / Spec.Std[0] - 0.1f;
        Assert.True(At(0, 20, 112) > high, "top centre is red");
        Assert.True(At(2, 200, 112) > (1f - Spec.Mean[2]) / Spec.Std[2] - 0.1f, "bottom centre is blue");
        Assert.True(At(0, 200, 112) < 0, "bottom centre is not red");
        var noGreen = (0f - Spec.Mean[1]) / Spec.Std[1] + 0.1f;
        // (the outermost column may carry a trace of green: the resampling kernel reaches across the crop edge)
        Assert.True(At(1, 20, 2) < noGreen && At(1, 200, 221) < noGreen, "the green margins were cropped away");
    }

    [CorpusFact]
    public async Task Photos_of_a_batch_are_written_into_their_own_slices_of_one_buffer()
    {
        string[] photos =
        [
            Corpus.File("exif-samples/jpg/orientation/landscape_1.jpg"),
            HeicDecoding.HeicOrAvif("heic/pug.heic"),
            Corpus.File("exif-samples/jpg/Canon_40D.jpg"),
        ];
        var batch = new float[photos.Length * Spec.TensorLength];

        for (var i = 0; i < photos.Length; i++)
        {
            await _context.Preparation.PrepareEncoderInputAsync(
                photos[i], Spec, batch.AsMemory(i * Spec.TensorLength, Spec.TensorLength), default);
        }

        Assert.Equal(new long[] { 3, 3, 224, 224 }, Spec.BatchShape(photos.Length));
        for (var i = 0; i < photos.Length; i++)
        {
            var alone = await _context.Preparation.PrepareEncoderInputAsync(photos[i], Spec, default);
            Assert.Equal(alone, batch.AsSpan(i * Spec.TensorLength, Spec.TensorLength).ToArray());
        }

        var min = (0f - Spec.Mean.Max()) / Spec.Std.Min();
        var max = (1f - Spec.Mean.Min()) / Spec.Std.Min();
        Assert.All(batch, v => Assert.InRange(v, min, max));
    }

    [Fact]
    public async Task Small_pictures_are_scaled_up_to_the_encoder_size()
    {
        var photo = _context.ScratchFile("tiny.png");
        TestPng.Write(photo, 40, 30, (x, _) => ((byte)(x * 6), 0, 0));

        var tensor = await _context.Preparation.PrepareEncoderInputAsync(photo, new EncoderInputSpec(64, Spec.Mean, Spec.Std), default);

        Assert.Equal(3 * 64 * 64, tensor.Length);
        Assert.True(tensor[63] > tensor[0], "the red ramp still rises left to right");
    }
}
