using System.Buffers.Binary;

namespace PrivateVlm.Tests.Metadata;

/// <summary>Builds small, deliberately malformed photo files byte by byte (big-endian TIFF, baseline JPEG markers).</summary>
internal static class HostileFiles
{
    public const ushort TagImageWidth = 0x0100;
    public const ushort TagImageHeight = 0x0101;
    public const ushort TagMake = 0x010F;
    public const ushort TagSubIfds = 0x014A;
    public const ushort TagExifIfd = 0x8769;

    /// <summary>A JPEG of <paramref name="width"/> x <paramref name="height"/>: SOI, the given segments, SOF0, SOS,
    /// a few bytes of scan data, EOI. Enough for a metadata reader; not meant to be decoded.</summary>
    public static byte[] Jpeg(int width, int height, params byte[][] segments)
    {
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        foreach (var segment in segments)
        {
            jpeg.Write(segment);
        }

        jpeg.Write([0xFF, 0xC0, 0x00, 0x0B, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x01, 0x01, 0x11, 0x00]);
        jpeg.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        jpeg.Write([0x12, 0x34, 0x56, 0x78, 0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    /// <summary>A JPEG marker segment; the length field counts itself.</summary>
    public static byte[] Segment(byte marker, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 65533)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "a JPEG segment holds at most 65533 bytes");
        }

        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment.AsSpan(4));
        return segment;
    }

    /// <summary>APP1 carrying "Exif\0\0" and the given TIFF structure.</summary>
    public static byte[] ExifSegment(byte[] tiff) => Segment(0xE1, [.. "Exif\0\0"u8, .. tiff]);

    /// <summary>One IFD entry: tag, type (3 SHORT, 4 LONG, 13 IFD), count, value or offset.</summary>
    public readonly record struct Entry(ushort Tag, ushort Type, uint Count, uint Value);

    /// <summary>Big-endian TIFF whose IFDs are laid out one after another from offset 8; the caller's offsets refer to
    /// that layout (see <see cref="IfdOffset"/>).</summary>
    public static byte[] Tiff(params (Entry[] Entries, uint Next)[] ifds)
    {
        using var tiff = new MemoryStream();
        Span<byte> word = stackalloc byte[4];
        tiff.Write("MM\0*"u8);
        BinaryPrimitives.WriteUInt32BigEndian(word, ifds.Length == 0 ? 0u : 8u);
        tiff.Write(word);
        foreach (var (entries, next) in ifds)
        {
            BinaryPrimitives.WriteUInt16BigEndian(word, (ushort)entries.Length);
            tiff.Write(word[..2]);
            foreach (var entry in entries)
            {
                BinaryPrimitives.WriteUInt16BigEndian(word, entry.Tag);
                tiff.Write(word[..2]);
                BinaryPrimitives.WriteUInt16BigEndian(word, entry.Type);
                tiff.Write(word[..2]);
                BinaryPrimitives.WriteUInt32BigEndian(word, entry.Count);
                tiff.Write(word);
                if (entry.Type == 3 && entry.Count == 1)
                {
                    // A single SHORT sits left-aligned in the 4-byte value field.
                    BinaryPrimitives.WriteUInt16BigEndian(word, (ushort)entry.Value);
                    word[2] = word[3] = 0;
                }
                else
                {
                    BinaryPrimitives.WriteUInt32BigEndian(word, entry.Value);
                }

                tiff.Write(word);
            }

            BinaryPrimitives.WriteUInt32BigEndian(word, next);
            tiff.Write(word);
        }

        return tiff.ToArray();
    }

    /// <summary>Offset of IFD number <paramref name="index"/> when every IFD before it has <paramref name="entriesEach"/> entries.</summary>
    public static uint IfdOffset(int index, int entriesEach) => (uint)(8 + (index * (2 + (12 * entriesEach) + 4)));

    /// <summary>A TIFF of <paramref name="depth"/> IFDs, each pointing at the next through <paramref name="pointerTag"/>.</summary>
    public static byte[] NestedTiff(int depth, ushort pointerTag, bool withSize)
    {
        var entriesEach = withSize ? 3 : 1;
        var ifds = new (Entry[], uint)[depth];
        for (var index = 0; index < depth; index++)
        {
            var pointer = new Entry(pointerTag, 4, 1, index + 1 < depth ? IfdOffset(index + 1, entriesEach) : 0);
            ifds[index] = withSize
                ? ([new Entry(TagImageWidth, 3, 1, 32), new Entry(TagImageHeight, 3, 1, 24), pointer], 0u)
                : ([pointer], 0u);
        }

        return Tiff(ifds);
    }

    /// <summary>An extended WebP (VP8X canvas, a VP8L header, optional EXIF chunk) of <paramref name="width"/> x
    /// <paramref name="height"/>. Enough for a metadata reader; the bitstream after the header is not real.</summary>
    public static byte[] WebP(int width, int height, byte[]? exif)
    {
        using var body = new MemoryStream();
        body.Write("WEBP"u8);
        Span<byte> canvas = stackalloc byte[10];
        canvas[0] = exif is null ? (byte)0 : (byte)0x08;
        canvas[4] = (byte)(width - 1);
        canvas[5] = (byte)((width - 1) >> 8);
        canvas[6] = (byte)((width - 1) >> 16);
        canvas[7] = (byte)(height - 1);
        canvas[8] = (byte)((height - 1) >> 8);
        canvas[9] = (byte)((height - 1) >> 16);
        RiffChunk(body, "VP8X", canvas);

        var lossless = new byte[13];
        lossless[0] = 0x2F;
        BinaryPrimitives.WriteUInt32LittleEndian(lossless.AsSpan(1), (uint)((width - 1) | ((height - 1) << 14)));
        RiffChunk(body, "VP8L", lossless);
        if (exif is not null)
        {
            RiffChunk(body, "EXIF", exif);
        }

        var riff = new byte[8 + body.Length];
        "RIFF"u8.CopyTo(riff);
        BinaryPrimitives.WriteUInt32LittleEndian(riff.AsSpan(4), (uint)body.Length);
        body.ToArray().CopyTo(riff, 8);
        return riff;
    }

    /// <summary>A 3 x 2 RGB PNG with an optional 'eXIf' chunk before its pixels.</summary>
    public static byte[] Png(byte[]? exif)
    {
        var png = Convert.FromBase64String(
            "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGP4z8AAQQxwFgBB0gX7h/C5SAAAAABJRU5ErkJggg==");
        if (exif is null)
        {
            return png;
        }

        // Signature (8) + IHDR chunk (25): the eXIf chunk goes right after IHDR. Its CRC is left zero: readers of
        // metadata do not check it, and a hostile file would not bother either.
        using var withExif = new MemoryStream();
        withExif.Write(png.AsSpan(0, 33));
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)exif.Length);
        "eXIf"u8.CopyTo(header[4..]);
        withExif.Write(header);
        withExif.Write(exif);
        withExif.Write(stackalloc byte[4]);
        withExif.Write(png.AsSpan(33));
        return withExif.ToArray();
    }

    private static void RiffChunk(Stream riff, string fourCc, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        System.Text.Encoding.ASCII.GetBytes(fourCc, header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)data.Length);
        riff.Write(header);
        riff.Write(data);
        if (data.Length % 2 == 1)
        {
            riff.WriteByte(0);
        }
    }
}
