using System.Buffers.Binary;
using System.IO.Compression;
using PrivateVlm.Metadata;

namespace PrivateVlm.Tests.Metadata;

/// <summary>JPEG XL, which MetadataExtractor does not know: size from the codestream, EXIF from the container.</summary>
public sealed class JpegXlReaderTests
{
    // The first bytes libvips 8.14 writes for a 640x480 photo: FF 0A, then the SizeHeader (height 480 in 9 bits,
    // ratio 4:3) read least significant bit first.
    private static readonly byte[] Codestream = [0xFF, 0x0A, 0xF8, 0xBE, 0x01, 0x01, 0x68, 0x56];

    [Fact]
    public void A_bare_codestream_gives_its_size()
    {
        var content = JpegXlReader.Read(new MemoryStream(Codestream));

        Assert.Equal((640, 480), (content.Width, content.Height));
        Assert.Null(content.ExifTiff);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_container_gives_the_codestream_size_and_the_exif_plain_or_brotli_compressed(bool compressed)
    {
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0];
        byte[] exifBody = [0, 0, 0, 0, .. tiff];
        var exifBox = compressed ? Box("brob", [.. "Exif"u8, .. Brotli(exifBody)]) : Box("Exif", exifBody);
        byte[] file = [0, 0, 0, 0x0C, .. "JXL \r\n"u8, 0x87, 0x0A, .. Box("ftyp", [.. "jxl "u8, 0, 0, 0, 0, .. "jxl "u8]), .. exifBox, .. Box("jxlc", Codestream)];

        var content = JpegXlReader.Read(new MemoryStream(file));

        Assert.Equal((640, 480), (content.Width, content.Height));
        Assert.Equal(tiff, content.ExifTiff);
    }

    [Fact]
    public void A_box_claiming_more_than_the_file_is_refused()
    {
        byte[] file = [0, 0, 0, 0x0C, .. "JXL \r\n"u8, 0x87, 0x0A, 0x7F, 0xFF, 0xFF, 0xFF, .. "jxlc"u8, .. Codestream];

        Assert.Throws<InvalidDataException>(() => JpegXlReader.Read(new MemoryStream(file)));
    }

    private static byte[] Box(string type, byte[] body)
    {
        var box = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        body.CopyTo(box, 8);
        return box;
    }

    private static byte[] Brotli(byte[] data)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest))
        {
            brotli.Write(data);
        }

        return output.ToArray();
    }
}
