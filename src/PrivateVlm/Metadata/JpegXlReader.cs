using System.Buffers.Binary;
using System.IO.Compression;

namespace PrivateVlm.Metadata;

/// <summary>What L0 needs from a JPEG XL file, which MetadataExtractor 2.4.3 does not know.</summary>
internal sealed record JpegXlContent(int Width, int Height, byte[]? ExifTiff, byte[]? Xmp);

/// <summary>
/// Reads a JPEG XL file (ISO/IEC 18181): a bare codestream (FF 0A), or the ISO BMFF container whose boxes hold the
/// codestream ('jxlc', or 'jxlp' parts), EXIF ('Exif': a 4-byte offset, then a TIFF structure) and XMP ('xml '), either
/// of the last two possibly Brotli-compressed inside a 'brob' box. The pixel size is the codestream's SizeHeader.
/// </summary>
internal static class JpegXlReader
{
    private const int MaxMetadataBox = 16 * 1024 * 1024;

    public static JpegXlContent Read(Stream stream)
    {
        stream.Position = 0;
        Span<byte> head = stackalloc byte[2];
        stream.ReadExactly(head);
        if (head[0] == 0xFF && head[1] == 0x0A)
        {
            var (width, height) = SizeHeader(ReadUpTo(stream, 0, 64));
            return new JpegXlContent(width, height, null, null);
        }

        byte[]? exif = null, xmp = null, codestream = null;
        Span<byte> header = stackalloc byte[16];
        for (long at = 0; at + 8 <= stream.Length;)
        {
            stream.Position = at;
            stream.ReadExactly(header[..8]);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = System.Text.Encoding.ASCII.GetString(header[4..8]);
            var headerLength = 8;
            if (size == 1)
            {
                stream.ReadExactly(header[8..16]);
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
                headerLength = 16;
            }
            else if (size == 0)
            {
                size = stream.Length - at; // the last box runs to the end of the file
            }

            if (size < headerLength || size > stream.Length - at)
            {
                throw new InvalidDataException($"JPEG XL box '{type}' at {at} claims {size} bytes, past the end of the file");
            }

            var body = at + headerLength;
            var bodyLength = size - headerLength;
            switch (type)
            {
                case "jxlc":
                    codestream ??= ReadUpTo(stream, body, 64);
                    break;
                case "jxlp" when codestream is null && bodyLength > 4:
                    codestream = ReadUpTo(stream, body + 4, 64); // a 4-byte part index precedes the first part
                    break;
                case "Exif" when exif is null:
                    exif = ExifFromBox(ReadBox(stream, body, bodyLength));
                    break;
                case "xml " when xmp is null:
                    xmp = ReadBox(stream, body, bodyLength);
                    break;
                case "brob" when bodyLength > 4:
                    var inner = ReadBox(stream, body, bodyLength);
                    var innerType = System.Text.Encoding.ASCII.GetString(inner, 0, 4);
                    if (innerType == "Exif" && exif is null)
                    {
                        exif = ExifFromBox(Inflate(inner.AsSpan(4)));
                    }
                    else if (innerType == "xml " && xmp is null)
                    {
                        xmp = Inflate(inner.AsSpan(4));
                    }

                    break;
            }

            at += size;
        }

        if (codestream is null)
        {
            throw new InvalidDataException("JPEG XL container without a codestream box (jxlc/jxlp)");
        }

        var (w, h) = SizeHeader(codestream);
        return new JpegXlContent(w, h, exif, xmp);
    }

    /// <summary>The codestream's signature and SizeHeader (18181-1 D.2): bit fields read least significant first.</summary>
    internal static (int Width, int Height) SizeHeader(ReadOnlySpan<byte> codestream)
    {
        if (codestream.Length < 3 || codestream[0] != 0xFF || codestream[1] != 0x0A)
        {
            throw new InvalidDataException("JPEG XL codestream without its FF 0A signature");
        }

        var bits = new BitReader(codestream[2..]);
        var div8 = bits.Read(1) == 1;
        var height = div8 ? (bits.Read(5) + 1) * 8 : 1 + bits.U32(9, 13, 18, 30);
        var ratio = bits.Read(3);
        long width = ratio switch
        {
            0 => div8 ? (bits.Read(5) + 1) * 8 : 1 + bits.U32(9, 13, 18, 30),
            1 => height,
            2 => height * 12 / 10,
            3 => height * 4 / 3,
            4 => height * 3 / 2,
            5 => height * 16 / 9,
            6 => height * 5 / 4,
            _ => height * 2,
        };
        if (width > int.MaxValue || height > int.MaxValue)
        {
            throw new InvalidDataException($"JPEG XL size {width}x{height} is past any image");
        }

        return ((int)width, (int)height);
    }

    /// <summary>The 'Exif' box starts with the offset of the TIFF header within the rest of the box.</summary>
    private static byte[]? ExifFromBox(byte[] box)
    {
        if (box.Length < 4)
        {
            return null;
        }

        var offset = BinaryPrimitives.ReadUInt32BigEndian(box);
        return offset <= (uint)(box.Length - 4) ? box.AsSpan(4 + (int)offset).ToArray() : null;
    }

    private static byte[] Inflate(ReadOnlySpan<byte> compressed)
    {
        using var brotli = new BrotliStream(new MemoryStream(compressed.ToArray()), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        for (int read; (read = brotli.Read(buffer)) > 0;)
        {
            output.Write(buffer, 0, read);
            if (output.Length > MaxMetadataBox)
            {
                throw new InvalidDataException($"JPEG XL metadata box inflates past {MaxMetadataBox / (1024 * 1024)} MB");
            }
        }

        return output.ToArray();
    }

    private static byte[] ReadBox(Stream stream, long at, long length)
    {
        if (length > MaxMetadataBox)
        {
            throw new InvalidDataException($"JPEG XL metadata box of {length} bytes (a photo's metadata is kilobytes)");
        }

        var bytes = new byte[length];
        stream.Position = at;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static byte[] ReadUpTo(Stream stream, long at, int count)
    {
        var bytes = new byte[(int)Math.Min(count, Math.Max(0, stream.Length - at))];
        stream.Position = at;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private ref struct BitReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public long Read(int count)
        {
            long value = 0;
            for (var i = 0; i < count; i++, _position++)
            {
                if (_position / 8 >= _bytes.Length)
                {
                    throw new InvalidDataException("JPEG XL size header cut short");
                }

                value |= (long)((_bytes[_position / 8] >> (_position % 8)) & 1) << i;
            }

            return value;
        }

        /// <summary>U32 with four plain bit-count distributions, chosen by a 2-bit selector.</summary>
        public long U32(int d0, int d1, int d2, int d3) => Read((int)Read(2) switch { 0 => d0, 1 => d1, 2 => d2, _ => d3 });
    }
}
