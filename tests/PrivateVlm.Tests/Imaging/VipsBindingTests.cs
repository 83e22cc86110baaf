using PrivateVlm.Interop.Vips;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>The fixed-argument GObject call path itself: blobs in and out, errors with libvips' text.</summary>
public sealed class VipsBindingTests
{
    private readonly VipsLibrary vips = VipsLibrary.Load(null);

    [CorpusFact]
    public void A_blob_goes_in_and_a_blob_comes_out()
    {
        var bytes = File.ReadAllBytes(Corpus.File("exif-samples/jpg/orientation/landscape_1.jpg"));

        using var load = new VipsOperationCall(vips, "jpegload_buffer").SetBlob("buffer", bytes).Build();
        using var image = load.GetImage("out");
        using var save = new VipsOperationCall(vips, "pngsave_buffer").Set("in", image).Build();
        var png = save.GetBlob("buffer");

        Assert.Equal((600, 450, 3), (image.Width, image.Height, image.Bands));
        Assert.Equal(VipsBandFormat.UChar, image.Format);
        Assert.Equal(VipsInterpretation.Srgb, image.Interpretation);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void Failures_carry_libvips_own_error_text()
    {
        var unknown = Assert.Throws<VipsOperationException>(() => new VipsOperationCall(vips, "no_such_operation"));
        Assert.Contains("no_such_operation", unknown.Message);

        var badData = Assert.Throws<VipsOperationException>(
            () => new VipsOperationCall(vips, "jpegload_buffer").SetBlob("buffer", "not a jpeg"u8).Build());
        Assert.Equal("jpegload_buffer", badData.Operation);
        Assert.False(string.IsNullOrWhiteSpace(badData.VipsError));

        var badProperty = Assert.Throws<VipsOperationException>(
            () => new VipsOperationCall(vips, "black").Set("no_such_property", 1));
        Assert.Contains("no_such_property", badProperty.Message);
    }

    [Fact]
    public void Libvips_reports_its_version_and_finds_loaders_by_content()
    {
        Assert.StartsWith("8.", vips.Version);
        Assert.True(vips.HasOperation("thumbnail"));
        Assert.False(vips.HasOperation("no_such_operation"));
    }
}
