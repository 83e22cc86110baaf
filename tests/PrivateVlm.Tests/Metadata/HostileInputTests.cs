using System.IO.Compression;
using System.Text;
using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;
using static PrivateVlm.Tests.Metadata.HostileFiles;

namespace PrivateVlm.Tests.Metadata;

/// <summary>
/// Files built to break a metadata parser. Each must end, within a few seconds, as either a clear
/// <see cref="PhotoRejectedException"/> or a record of what could be read: never another exception, a hang, or (the
/// one a test cannot catch) a stack overflow that takes the process down.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("privatevlm-metadata-");
    private readonly PhotoMetadataReader _reader = new();

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Zero_byte_file_is_rejected_as_empty()
    {
        var rejection = await AssertRejectedAsync(Write("empty.jpg", []));
        Assert.Equal("empty file (0 bytes)", rejection.Message);
    }

    [Fact]
    public async Task Random_bytes_named_jpg_are_not_a_photo()
    {
        var noise = new byte[64 * 1024];
        new Random(20261121).NextBytes(noise);
        noise[0] = 0x42; // never a JPEG/PNG/TIFF/RIFF/ftyp signature, whatever the seed gives

        var rejection = await AssertRejectedAsync(Write("noise.jpg", noise));
        Assert.Equal("not a photo: file format could not be determined", rejection.Message);
    }

    [Fact]
    public async Task Png_named_heic_is_read_as_png_from_its_content()
    {
        var png = Convert.FromBase64String(
            "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGP4z8AAQQxwFgBB0gX7h/C5SAAAAABJRU5ErkJggg==");

        var metadata = await AssertReadAsync(Write("actually-a-png.heic", png));
        Assert.Equal("PNG", metadata.Format);
        Assert.Equal((3, 2), (metadata.Width, metadata.Height));
    }

    [CorpusFact]
    public async Task Real_jpeg_cut_short_is_rejected_before_its_pixel_data_and_read_inside_it()
    {
        var source = Corpus.File("exif-samples/jpg/gps/DSCN0010.jpg");
        var whole = File.ReadAllBytes(source);
        var complete = await AssertReadAsync(source);
        var (frameHeader, scanStart) = (MarkerOffset(whole, IsFrameHeader), MarkerOffset(whole, marker => marker == 0xDA));
        Assert.True(frameHeader > 10_000 && scanStart > frameHeader, "the sample: EXIF, tables, SOF0, XMP, then the scan");

        int[] cuts = [1, 2, 3, 20, 200, 2_000, 10_000, frameHeader, frameHeader + 30, scanStart, scanStart + 100, whole.Length / 2, whole.Length - 2];
        foreach (var length in cuts)
        {
            var path = Write($"cut-{length}.jpg", whole[..length]);
            if (length <= scanStart + 14)
            {
                // Cut anywhere before the compressed pixels start: the file has no image, so nothing is kept.
                var rejection = await AssertRejectedAsync(path);
                Assert.Matches("^(truncated or corrupt JPEG: |not a photo: )", rejection.Message);
            }
            else
            {
                // Cut inside the compressed scan: L0 never decodes pixels, so it keeps the metadata (the decoder at L1
                // is what notices the missing pixels).
                var metadata = await AssertReadAsync(path);
                Assert.Equal((complete.Width, complete.Height, complete.Make), (metadata.Width, metadata.Height, metadata.Make));
                Assert.Equal(complete.Latitude, metadata.Latitude);
            }
        }
    }

    [Fact]
    public async Task Jpeg_cut_inside_its_exif_segment_is_rejected()
    {
        var tiff = Tiff(([new Entry(TagMake, 2, 4, 0x4E696B00)], 0));
        var whole = Jpeg(32, 24, ExifSegment([.. tiff, .. new byte[400]]));

        var rejection = await AssertRejectedAsync(Write("cut-in-app1.jpg", whole[..60]));
        Assert.StartsWith("truncated or corrupt JPEG: ", rejection.Message);
    }

    [Fact]
    public async Task Exif_whose_first_directory_lies_outside_the_file_keeps_the_image_facts()
    {
        byte[] tiff = [.. "MM\0*"u8, 0x7F, 0xFF, 0xFF, 0xF0];

        var metadata = await AssertReadAsync(Write("ifd0-outside.jpg", Jpeg(32, 24, ExifSegment(tiff))));
        Assert.Equal(("JPEG", 32, 24), (metadata.Format, metadata.Width, metadata.Height));
        Assert.Null(metadata.Make);
        Assert.Equal("file:mtime", metadata.TakenAtSource);
    }

    [Fact]
    public async Task Exif_sub_directory_pointing_outside_the_file_keeps_what_ifd0_says()
    {
        var tiff = Tiff(([new Entry(TagMake, 2, 4, 0x4E696B00), new Entry(TagExifIfd, 4, 1, 0xFFFFFF00)], 0));

        var metadata = await AssertReadAsync(Write("exif-ifd-outside.jpg", Jpeg(32, 24, ExifSegment(tiff))));
        Assert.Equal("Nik", metadata.Make);
        Assert.NotEmpty(metadata.Warnings);
    }

    [Fact]
    public async Task Directory_that_points_at_itself_is_read_once()
    {
        // IFD0's next-IFD link and its Exif pointer both lead back to IFD0.
        var tiff = Tiff((
            [new Entry(TagImageWidth, 3, 1, 40), new Entry(TagImageHeight, 3, 1, 30), new Entry(TagMake, 2, 4, 0x4E696B00), new Entry(TagExifIfd, 4, 1, 8)],
            8));

        var asTiff = await AssertReadAsync(Write("loop.tif", tiff));
        Assert.Equal(("TIFF", 40, 30, "Nik"), (asTiff.Format, asTiff.Width, asTiff.Height, asTiff.Make));

        var asJpeg = await AssertReadAsync(Write("loop.jpg", Jpeg(32, 24, ExifSegment(tiff))));
        Assert.Equal(("JPEG", 32, 24, "Nik"), (asJpeg.Format, asJpeg.Width, asJpeg.Height, asJpeg.Make));
    }

    [Theory]
    [InlineData(TagSubIfds)]
    [InlineData(TagExifIfd)]
    public async Task Tiff_with_a_hundred_thousand_nested_directories_is_rejected_without_overflowing_the_stack(ushort pointerTag)
    {
        var tiff = NestedTiff(100_000, pointerTag, withSize: true);

        var rejection = await AssertRejectedAsync(Write($"nested-{pointerTag:x4}.tif", tiff));
        Assert.Contains("more than 1000 directories", rejection.Message);
    }

    [Fact]
    public async Task Tiff_with_a_hundred_thousand_chained_directories_is_rejected()
    {
        var ifds = Enumerable.Range(0, 100_000)
            .Select(index => (new[] { new Entry(TagImageWidth, 3, 1, 8) }, index + 1 < 100_000 ? IfdOffset(index + 1, 1) : 0u))
            .ToArray();

        var rejection = await AssertRejectedAsync(Write("chained.tif", Tiff(ifds)));
        Assert.Contains("more than 1000 directories", rejection.Message);
    }

    [Fact]
    public async Task Jpeg_whose_exif_nests_as_deep_as_one_segment_allows_is_rejected()
    {
        // 3,600 SubIFDs of 18 bytes fill one 64 KB APP1. MetadataExtractor recurses once per level: on a 1.5 MB
        // thread-pool stack this depth overflows and kills the process.
        var tiff = NestedTiff(3_600, TagSubIfds, withSize: false);
        Assert.True(tiff.Length <= 65533 - 6, "fits one APP1 segment");

        var rejection = await AssertRejectedAsync(Write("deep-app1.jpg", Jpeg(32, 24, ExifSegment(tiff))));
        Assert.Contains("more than 1000 directories", rejection.Message);
    }

    [Fact]
    public async Task Jpeg_with_as_many_nested_directories_as_allowed_is_read()
    {
        var metadata = await AssertReadAsync(Write("nested-1000.jpg", Jpeg(32, 24, ExifSegment(NestedTiff(1_000, TagSubIfds, withSize: false)))));
        Assert.Equal((32, 24), (metadata.Width, metadata.Height));
    }

    [Fact]
    public async Task Xmp_nested_deep_enough_to_stall_the_parser_is_rejected_where_it_would_be_parsed()
    {
        // 40 nested structures: MetadataExtractor's XMP parser does not finish this in minutes (exponential in depth).
        var deep = Encoding.UTF8.GetBytes(
            "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>" +
            "<rdf:Description xmlns:a='http://a/'>" + string.Concat(Enumerable.Repeat("<a:b><rdf:Description>", 40)) +
            string.Concat(Enumerable.Repeat("</rdf:Description></a:b>", 40)) + "</rdf:Description></rdf:RDF></x:xmpmeta>");

        var inTiff = Tiff(([new Entry(TagImageWidth, 3, 1, 40), new Entry(TagImageHeight, 3, 1, 30), new Entry(0x02BC, 7, (uint)deep.Length, 50)], 0));
        var tiff = await AssertRejectedAsync(Write("deep-xmp.tif", [.. inTiff, .. deep]));
        Assert.Contains("XMP nests", tiff.Message);

        var png = await AssertRejectedAsync(Write("deep-xmp.png", PngWithXmp(deep, compressed: false)));
        Assert.Contains("XMP nests", png.Message);

        var compressedPng = await AssertRejectedAsync(Write("deep-xmp-z.png", PngWithXmp(deep, compressed: true)));
        Assert.Contains("XMP nests", compressedPng.Message);

        // JPEG XMP is parsed too (edited exports keep their capture time there), so it is checked the same way.
        var jpeg = await AssertRejectedAsync(Write("deep-xmp.jpg", Jpeg(32, 24, Segment(0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. deep]))));
        Assert.Contains("XMP nests", jpeg.Message);
    }

    [Fact]
    public async Task Huge_junk_app1_and_long_comments_do_not_stop_the_read()
    {
        var junk = new byte[65533];
        new Random(7).NextBytes(junk);
        var comment = Enumerable.Repeat((byte)'x', 65533).ToArray();
        var segments = new[] { Segment(0xE1, junk) }.Concat(Enumerable.Repeat(Segment(0xFE, comment), 60)).ToArray();

        var metadata = await AssertReadAsync(Write("huge-metadata.jpg", Jpeg(32, 24, segments)));
        Assert.Equal(("JPEG", 32, 24), (metadata.Format, metadata.Width, metadata.Height));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebP_is_read_with_its_canvas_size_and_exif(bool jpegStylePreamble)
    {
        // The corpus has no WebP, so this one is built by hand: VP8X canvas 40x30, EXIF saying Make "Nik" and
        // Orientation 6, with and without the "Exif\0\0" preamble that some writers keep.
        var tiff = Tiff(([new Entry(TagMake, 2, 4, 0x4E696B00), new Entry(0x0112, 3, 1, 6)], 0));
        var exif = jpegStylePreamble ? [.. "Exif\0\0"u8, .. tiff] : tiff;

        var metadata = await AssertReadAsync(Write("built.webp", WebP(40, 30, exif)));
        Assert.Equal(("WebP", 40, 30, "Nik", 6), (metadata.Format, metadata.Width, metadata.Height, metadata.Make, metadata.Orientation));
    }

    [Fact]
    public async Task WebP_and_png_with_deeply_nested_exif_are_rejected()
    {
        var deep = NestedTiff(100_000, TagSubIfds, withSize: false);

        var webp = await AssertRejectedAsync(Write("deep.webp", WebP(40, 30, deep)));
        Assert.Contains("more than 1000 directories", webp.Message);

        var png = await AssertRejectedAsync(Write("deep.png", Png(deep)));
        Assert.Contains("more than 1000 directories", png.Message);
    }

    [Fact]
    public async Task Heif_with_a_box_claiming_more_bytes_than_the_file_is_rejected()
    {
        byte[] heif = [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, 0x7F, 0, 0, 0, .. "meta"u8, 0, 0, 0, 0];

        var rejection = await AssertRejectedAsync(Write("lying-box.heic", heif));
        Assert.StartsWith("truncated or corrupt HEIF", rejection.Message);
    }

    [Fact]
    public async Task Heif_signature_followed_by_noise_is_rejected()
    {
        var noise = new byte[8192];
        new Random(99).NextBytes(noise);
        byte[] heif = [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, .. noise];

        var rejection = await AssertRejectedAsync(Write("noise.heic", heif));
        Assert.StartsWith("truncated or corrupt HEIF", rejection.Message);
    }

    /// <summary>The 3 x 2 test PNG with an iTXt XMP chunk after IHDR (CRC left zero; metadata readers do not check it).</summary>
    private static byte[] PngWithXmp(byte[] xmp, bool compressed)
    {
        byte[] text = xmp;
        if (compressed)
        {
            using var packed = new MemoryStream();
            using (var zlib = new ZLibStream(packed, CompressionLevel.Fastest, leaveOpen: true))
            {
                zlib.Write(xmp);
            }

            text = packed.ToArray();
        }

        byte[] payload = [.. "XML:com.adobe.xmp\0"u8, compressed ? (byte)1 : (byte)0, 0, 0, 0, .. text];
        var png = Png(exif: null);
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, (uint)payload.Length);
        return [.. png[..33], .. length, .. "iTXt"u8, .. payload, 0, 0, 0, 0, .. png[33..]];
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private async Task<PhotoMetadata> AssertReadAsync(string path)
    {
        var outcome = await ReadWithinAsync(path);
        Assert.True(outcome.Metadata is not null, $"{Path.GetFileName(path)} should be read, but: {outcome.Failure}");
        return outcome.Metadata!;
    }

    private async Task<PhotoRejectedException> AssertRejectedAsync(string path)
    {
        var outcome = await ReadWithinAsync(path);
        var rejection = Assert.IsType<PhotoRejectedException>(outcome.Failure);
        Assert.False(string.IsNullOrWhiteSpace(rejection.Message));
        return rejection;
    }

    private async Task<(PhotoMetadata? Metadata, Exception? Failure)> ReadWithinAsync(string path)
    {
        var read = Task.Run(() => _reader.Read(path));
        var finished = await Task.WhenAny(read, Task.Delay(Patience));
        Assert.True(finished == read, $"{Path.GetFileName(path)}: no answer within {Patience.TotalSeconds} s");
        return read.IsCompletedSuccessfully ? (read.Result, null) : (null, read.Exception!.InnerException);
    }

    private static bool IsFrameHeader(byte marker) => marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    /// <summary>Offset of the first top-level marker matching <paramref name="wanted"/>, walking segment by segment (a
    /// thumbnail inside APP1 has its own SOF, so a byte search would find the wrong one).</summary>
    private static int MarkerOffset(byte[] jpeg, Func<byte, bool> wanted)
    {
        for (var offset = 2; offset + 4 <= jpeg.Length && jpeg[offset] == 0xFF;)
        {
            if (wanted(jpeg[offset + 1]))
            {
                return offset;
            }

            offset += 2 + ((jpeg[offset + 2] << 8) | jpeg[offset + 3]);
        }

        return -1;
    }
}
