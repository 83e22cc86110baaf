using System.Buffers.Binary;

namespace PrivateVlm.Metadata;

/// <summary>
/// Counts the TIFF directories (IFDs) a TIFF structure links together, without recursion, before MetadataExtractor
/// walks them. MetadataExtractor 2.4.3 follows next-IFD links and SubIFD/Exif/GPS/Interop pointers by recursing once
/// per directory, so a few megabytes of chained IFDs overflow any thread's stack and kill the process (a stack overflow
/// cannot be caught). Real photos have a handful of IFDs and multi-page TIFFs a few hundred; more than
/// <see cref="MaxDirectories"/> is treated as hostile and rejected up front.
/// </summary>
internal static class TiffDirectoryCensus
{
    public const int MaxDirectories = 1000;

    private const ushort TagXmp = 0x02BC;
    private const ushort TagPhotoshop = 0x8649;
    private const ushort TagSubIfds = 0x014A;
    private const ushort TagExifIfd = 0x8769;
    private const ushort TagGpsIfd = 0x8825;
    private const ushort TagInteropIfd = 0xA005;
    private const ushort TypeLong = 4;
    private const ushort TypeIfd = 13;

    /// <summary>Distinct IFDs reachable from the header, stopping once past the limit.</summary>
    /// <param name="embeddedXmp">Receives the XMP packets MetadataExtractor would parse from these directories: the
    /// XMP tag (700) and XMP resources inside Photoshop data (tag 34377).</param>
    internal static int Count(Stream tiff, List<byte[]> embeddedXmp)
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
                if (tag is TagXmp or TagPhotoshop && type is 1 or 2 or 7 && valueCount > 4 && valueCount <= tiff.Length)
                {
                    var data = new byte[valueCount];
                    if (ReadAt(tiff, U32(entry[8..], bigEndian), data))
                    {
                        if (tag == TagXmp)
                        {
                            embeddedXmp.Add(data);
                        }
                        else
                        {
                            embeddedXmp.AddRange(PhotoshopResources.Xmp(data));
                        }
                    }
                }
                else if (tag is TagExifIfd or TagGpsIfd or TagInteropIfd || type == TypeIfd
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

    internal static bool ReadAt(Stream stream, long offset, Span<byte> buffer)
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
}
