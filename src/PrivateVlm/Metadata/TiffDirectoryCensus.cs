using System.Buffers.Binary;
using System.Text;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Metadata;

/// <summary>
/// Counts the TIFF directories (IFDs) a TIFF structure links together, without recursion, before MetadataExtractor
/// walks them. MetadataExtractor 2.4.3 follows next-IFD links and SubIFD/Exif/GPS/Interop pointers by recursing once
/// per directory, so a few megabytes of chained IFDs overflow any thread's stack and kill the process (a stack overflow
/// cannot be caught). Real photos have a handful of IFDs and multi-page TIFFs a few hundred; more than
/// <see cref="MaxDirectories"/> is treated as hostile and rejected up front.
/// </summary>
/// <remarks>
/// JPEG is not checked: its EXIF lives in APP1 segments of at most 64 KB, and the deepest chain that fits in one
/// (~11,000 IFDs of 6 bytes) is well within the stack <see cref="MetadataParseThread"/> gives the parser.
/// </remarks>
internal static class TiffDirectoryCensus
{
    public const int MaxDirectories = 1000;

    private const ushort TagSubIfds = 0x014A;
    private const ushort TagExifIfd = 0x8769;
    private const ushort TagGpsIfd = 0x8825;
    private const ushort TagInteropIfd = 0xA005;
    private const ushort TypeLong = 4;
    private const ushort TypeIfd = 13;

    /// <summary>Checks every TIFF structure of the file that MetadataExtractor will walk (see the remarks).</summary>
    public static void Check(Stream stream, PhotoFormat format)
    {
        var blocks = format switch
        {
            PhotoFormat.Tiff => [stream],
            PhotoFormat.Png => PngExifBlocks(stream),
            PhotoFormat.WebP => WebPExifBlocks(stream),
            PhotoFormat.Heif => HeifExifBlocks(stream),
            _ => [],
        };

        foreach (var block in blocks)
        {
            var count = Count(block);
            if (count > MaxDirectories)
            {
                throw new PhotoRejectedException(
                    $"corrupt {format.Name()}: its TIFF/EXIF data links more than {MaxDirectories} directories " +
                    "(a real photo has a handful; this shape is used to crash metadata parsers)");
            }
        }

        stream.Position = 0;
    }

    /// <summary>Distinct IFDs reachable from the header, stopping once past the limit.</summary>
    internal static int Count(Stream tiff)
    {
        Span<byte> header = stackalloc byte[8];
        if (!ReadAt(tiff, 0, header))
        {
            return 0;
        }

        var bigEndian = header[0] == 'M' && header[1] == 'M';
        if (!bigEndian && !(header[0] == 'I' && header[1] == 'I'))
        {
            return 0;
        }

        // Every in-range offset something points at counts as a directory (MetadataExtractor would try to read one
        // there too), so a wide fan-out of pointers is bounded by the same limit as a deep chain.
        var discovered = new HashSet<long>();
        var pending = new Stack<long>();
        void Discover(uint offset)
        {
            if (offset != 0 && offset < tiff.Length && discovered.Add(offset))
            {
                pending.Push(offset);
            }
        }

        Discover(U32(header[4..], bigEndian));
        Span<byte> entry = stackalloc byte[12];
        Span<byte> countBytes = stackalloc byte[2];
        Span<byte> item = stackalloc byte[4];
        while (pending.Count > 0 && discovered.Count <= MaxDirectories)
        {
            var offset = pending.Pop();
            if (!ReadAt(tiff, offset, countBytes))
            {
                continue;
            }

            var entries = U16(countBytes, bigEndian);
            for (var index = 0; index < entries && discovered.Count <= MaxDirectories; index++)
            {
                if (!ReadAt(tiff, offset + 2 + (index * 12L), entry))
                {
                    break;
                }

                var tag = U16(entry, bigEndian);
                var type = U16(entry[2..], bigEndian);
                var valueCount = U32(entry[4..], bigEndian);
                if (tag is TagExifIfd or TagGpsIfd or TagInteropIfd || type == TypeIfd
                    || (tag == TagSubIfds && valueCount <= 1))
                {
                    Discover(U32(entry[8..], bigEndian));
                }
                else if (tag == TagSubIfds && type is TypeLong or TypeIfd)
                {
                    // Several SubIFDs: the entry holds the offset of an array of offsets.
                    var arrayOffset = U32(entry[8..], bigEndian);
                    for (var sub = 0L; sub < valueCount && discovered.Count <= MaxDirectories; sub++)
                    {
                        if (ReadAt(tiff, arrayOffset + (sub * 4), item))
                        {
                            Discover(U32(item, bigEndian));
                        }
                    }
                }
            }

            if (ReadAt(tiff, offset + 2 + (entries * 12L), item))
            {
                Discover(U32(item, bigEndian));
            }
        }

        return discovered.Count;
    }

    private static bool ReadAt(Stream stream, long offset, Span<byte> buffer)
    {
        if (offset < 0 || offset > stream.Length - buffer.Length)
        {
            return false;
        }

        stream.Position = offset;
        stream.ReadExactly(buffer);
        return true;
    }

    private static ushort U16(ReadOnlySpan<byte> bytes, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);

    private static uint U32(ReadOnlySpan<byte> bytes, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    /// <summary>PNG 'eXIf' chunks (a bare TIFF structure).</summary>
    private static List<Stream> PngExifBlocks(Stream stream)
    {
        var blocks = new List<Stream>();
        Span<byte> header = stackalloc byte[8];
        for (var offset = 8L; ReadAt(stream, offset, header);)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = Encoding.ASCII.GetString(header[4..]);
            if (type == "eXIf" && length <= stream.Length - offset - 8)
            {
                blocks.Add(Slice(stream, offset + 8, length));
            }

            if (type == "IEND")
            {
                break;
            }

            offset += 12L + length;
        }

        return blocks;
    }

    /// <summary>WebP RIFF 'EXIF' chunks, with or without the JPEG-style "Exif\0\0" preamble some writers keep.</summary>
    private static List<Stream> WebPExifBlocks(Stream stream)
    {
        var blocks = new List<Stream>();
        Span<byte> header = stackalloc byte[8];
        for (var offset = 12L; ReadAt(stream, offset, header);)
        {
            var type = Encoding.ASCII.GetString(header[..4]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (type == "EXIF" && length <= stream.Length - offset - 8)
            {
                var block = Slice(stream, offset + 8, length);
                blocks.Add(block.Length > 6 && block.ToArray().AsSpan(0, 6).SequenceEqual("Exif\0\0"u8)
                    ? Slice(block, 6, block.Length - 6)
                    : block);
            }

            offset += 8L + length + (length & 1);
        }

        return blocks;
    }

    /// <summary>The HEIF EXIF item. A HEIF whose boxes cannot be walked is left to MetadataExtractor to reject.</summary>
    private static List<Stream> HeifExifBlocks(Stream stream)
    {
        try
        {
            return HeifItemReader.Read(stream).ExifTiff is { } tiff ? [new MemoryStream(tiff, writable: false)] : [];
        }
        catch (InvalidDataException)
        {
            return [];
        }
        catch (EndOfStreamException)
        {
            return [];
        }
    }

    private static MemoryStream Slice(Stream stream, long offset, long length)
    {
        var bytes = new byte[length];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return new MemoryStream(bytes, writable: false);
    }
}
