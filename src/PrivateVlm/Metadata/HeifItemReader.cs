using System.Buffers.Binary;
using System.Text;

namespace PrivateVlm.Metadata;

/// <summary>What L0 needs from a HEIF file's item boxes: the primary image's 'ispe' size and the raw EXIF TIFF block,
/// plus the 'mime' items (XMP) so they can be checked before MetadataExtractor parses them.</summary>
internal sealed record HeifItems(int? Width, int? Height, byte[]? ExifTiff, IReadOnlyList<byte[]> MimeItems);

/// <summary>
/// A deliberately small ISO-BMFF walk (ISO/IEC 23008-12 'meta' box: pitm, iinf, iloc, iprp/ipco/ipma, idat), used only
/// when MetadataExtractor 2.4.3's HEIF reader throws. It does throw on real phone files: Nokia 8.3 HEIFs carry an
/// 'ipma' association pointing past the end of 'ipco', which the library indexes without a bounds check. Here such
/// associations are ignored, every length is checked against what is there, and sizes are capped, so a hostile file
/// ends in <see cref="InvalidDataException"/> rather than a huge allocation or an endless loop.
/// </summary>
internal static class HeifItemReader
{
    private const int MaxMetaBytes = 16 * 1024 * 1024;
    private const int MaxExifBytes = 16 * 1024 * 1024;
    private const int MaxTopLevelBoxes = 4096;

    public static HeifItems Read(Stream stream)
    {
        var meta = ReadMetaPayload(stream);

        uint? primaryId = null;
        var exifItemIds = new List<uint>();
        var mimeItemIds = new List<uint>();
        var locations = new Dictionary<uint, ItemLocation>();
        var properties = new List<(string Type, ReadOnlyMemory<byte> Payload)>();
        var associations = new Dictionary<uint, List<int>>();
        ReadOnlyMemory<byte> itemData = ReadOnlyMemory<byte>.Empty;

        // 'meta' is a full box: version and flags come before its children.
        foreach (var (type, payload) in Boxes(meta[4..]))
        {
            switch (type)
            {
                case "pitm":
                    primaryId = ReadPrimaryItem(payload.Span);
                    break;
                case "iinf":
                    ReadItemTypes(payload, exifItemIds, mimeItemIds);
                    break;
                case "iloc":
                    ReadLocations(payload.Span, locations);
                    break;
                case "iprp":
                    ReadProperties(payload, properties, associations);
                    break;
                case "idat":
                    itemData = payload;
                    break;
            }
        }

        var (width, height) = PrimarySize(primaryId, properties, associations);
        var exif = exifItemIds.Select(id => locations.GetValueOrDefault(id)).FirstOrDefault(location => location is not null);
        var mimeItems = mimeItemIds
            .Select(id => locations.GetValueOrDefault(id))
            .OfType<ItemLocation>()
            .Select(location => ReadItem(stream, location, itemData))
            .ToList();
        return new HeifItems(width, height, exif is null ? null : ExifTiff(ReadItem(stream, exif, itemData)), mimeItems);
    }

    private static ReadOnlyMemory<byte> ReadMetaPayload(Stream stream)
    {
        stream.Position = 0;
        var header = new byte[16];
        for (var count = 0; count < MaxTopLevelBoxes && stream.Length - stream.Position >= 8; count++)
        {
            var start = stream.Position;
            stream.ReadExactly(header, 0, 8);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = Encoding.ASCII.GetString(header, 4, 4);
            var headerLength = 8;
            if (size == 1)
            {
                stream.ReadExactly(header, 8, 8);
                size = checked((long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8)));
                headerLength = 16;
            }
            else if (size == 0)
            {
                size = stream.Length - start;
            }

            if (size < headerLength || size > stream.Length - start)
            {
                throw new InvalidDataException($"HEIF box '{Printable(type)}' at {start} claims {size} bytes, beyond the file");
            }

            if (type == "meta")
            {
                if (size - headerLength > MaxMetaBytes)
                {
                    throw new InvalidDataException($"HEIF 'meta' box of {size} bytes is over the {MaxMetaBytes}-byte limit");
                }

                var payload = new byte[size - headerLength];
                stream.ReadExactly(payload);
                return payload;
            }

            stream.Position = start + size;
        }

        throw new InvalidDataException("HEIF file has no 'meta' box");
    }

    /// <summary>Child boxes of a payload, in order. A box whose size runs past its parent stops the walk with an error.</summary>
    private static List<(string Type, ReadOnlyMemory<byte> Payload)> Boxes(ReadOnlyMemory<byte> container)
    {
        var boxes = new List<(string, ReadOnlyMemory<byte>)>();
        var offset = 0;
        while (container.Length - offset >= 8)
        {
            var span = container.Span[offset..];
            long size = BinaryPrimitives.ReadUInt32BigEndian(span);
            var type = Encoding.ASCII.GetString(span.Slice(4, 4));
            var headerLength = 8;
            if (size == 1)
            {
                if (span.Length < 16)
                {
                    throw new InvalidDataException($"HEIF box '{Printable(type)}' is cut short");
                }

                size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(span[8..]), long.MaxValue);
                headerLength = 16;
            }
            else if (size == 0)
            {
                size = span.Length;
            }

            if (size < headerLength || size > span.Length)
            {
                throw new InvalidDataException($"HEIF box '{Printable(type)}' claims {size} bytes, beyond its parent");
            }

            // Every box is at least 8 bytes, so the walk ends after at most Length/8 boxes.
            boxes.Add((type, container.Slice(offset + headerLength, (int)size - headerLength)));
            offset += (int)size;
        }

        return boxes;
    }

    private static uint ReadPrimaryItem(ReadOnlySpan<byte> payload)
    {
        var cursor = new Cursor(payload);
        var version = cursor.FullBoxVersion();
        return version == 0 ? cursor.U16() : cursor.U32();
    }

    private static void ReadItemTypes(ReadOnlyMemory<byte> payload, List<uint> exifIds, List<uint> mimeIds)
    {
        var cursor = new Cursor(payload.Span);
        var version = cursor.FullBoxVersion();
        _ = version == 0 ? cursor.U16() : cursor.U32();

        foreach (var (type, entry) in Boxes(payload[cursor.Offset..]))
        {
            if (type != "infe")
            {
                continue;
            }

            var infe = new Cursor(entry.Span);
            var infeVersion = infe.FullBoxVersion();
            if (infeVersion < 2)
            {
                continue; // versions 0 and 1 predate item types; HEIF writers use 2 or 3.
            }

            var id = infeVersion == 2 ? infe.U16() : infe.U32();
            infe.Skip(2); // item_protection_index
            var itemType = infe.FourCc();
            if (itemType == "Exif")
            {
                exifIds.Add(id);
            }
            else if (itemType == "mime")
            {
                mimeIds.Add(id);
            }
        }
    }

    private sealed record ItemLocation(int ConstructionMethod, ulong BaseOffset, List<(ulong Offset, ulong Length)> Extents);

    private static void ReadLocations(ReadOnlySpan<byte> payload, Dictionary<uint, ItemLocation> locations)
    {
        var cursor = new Cursor(payload);
        var version = cursor.FullBoxVersion();
        var sizes = cursor.U16();
        int offsetSize = sizes >> 12, lengthSize = (sizes >> 8) & 0xF, baseOffsetSize = (sizes >> 4) & 0xF;
        var indexSize = version is 1 or 2 ? sizes & 0xF : 0;
        var itemCount = version < 2 ? cursor.U16() : cursor.U32();

        for (var item = 0u; item < itemCount; item++)
        {
            var id = version < 2 ? cursor.U16() : cursor.U32();
            var constructionMethod = version is 1 or 2 ? cursor.U16() & 0xF : 0;
            cursor.Skip(2); // data_reference_index: 0 means this file
            var baseOffset = cursor.Sized(baseOffsetSize);
            var extentCount = cursor.U16();
            var extents = new List<(ulong, ulong)>(extentCount);
            for (var extent = 0; extent < extentCount; extent++)
            {
                cursor.Sized(indexSize);
                extents.Add((cursor.Sized(offsetSize), cursor.Sized(lengthSize)));
            }

            locations.TryAdd(id, new ItemLocation(constructionMethod, baseOffset, extents));
        }
    }

    private static void ReadProperties(
        ReadOnlyMemory<byte> iprp,
        List<(string Type, ReadOnlyMemory<byte> Payload)> properties,
        Dictionary<uint, List<int>> associations)
    {
        foreach (var (type, payload) in Boxes(iprp))
        {
            if (type == "ipco")
            {
                properties.AddRange(Boxes(payload));
            }
            else if (type == "ipma")
            {
                var cursor = new Cursor(payload.Span);
                var version = cursor.FullBoxVersion();
                var wideIndex = (cursor.LastFlags & 1) != 0;
                var entryCount = cursor.U32();
                for (var entry = 0u; entry < entryCount; entry++)
                {
                    var id = version < 1 ? cursor.U16() : cursor.U32();
                    var count = cursor.U8();
                    var indices = associations.TryGetValue(id, out var existing) ? existing : associations[id] = [];
                    for (var association = 0; association < count; association++)
                    {
                        // The top bit is "essential"; the rest is a 1-based index into ipco (0 = none).
                        indices.Add(wideIndex ? cursor.U16() & 0x7FFF : cursor.U8() & 0x7F);
                    }
                }
            }
        }
    }

    private static (int? Width, int? Height) PrimarySize(
        uint? primaryId,
        List<(string Type, ReadOnlyMemory<byte> Payload)> properties,
        Dictionary<uint, List<int>> associations)
    {
        if (primaryId is not { } id || !associations.TryGetValue(id, out var indices))
        {
            return (null, null);
        }

        foreach (var index in indices)
        {
            // Associations pointing outside ipco are the defect this reader exists for: skip them.
            if (index < 1 || index > properties.Count || properties[index - 1].Type != "ispe")
            {
                continue;
            }

            var cursor = new Cursor(properties[index - 1].Payload.Span);
            cursor.FullBoxVersion();
            var width = cursor.U32();
            var height = cursor.U32();
            return width is > 0 and <= int.MaxValue && height is > 0 and <= int.MaxValue
                ? ((int)width, (int)height)
                : (null, null);
        }

        return (null, null);
    }

    private static byte[] ReadItem(Stream stream, ItemLocation location, ReadOnlyMemory<byte> itemData)
    {
        using var item = new MemoryStream();
        foreach (var (extentOffset, extentLength) in location.Extents)
        {
            var offset = location.BaseOffset + extentOffset;
            var source = location.ConstructionMethod switch
            {
                0 => (ulong)stream.Length,
                1 => (ulong)itemData.Length,
                _ => throw new InvalidDataException($"HEIF EXIF item uses construction method {location.ConstructionMethod}"),
            };

            // Length 0 means "to the end of the source" in iloc.
            var length = extentLength == 0 && offset <= source ? source - offset : extentLength;
            if (offset > source || length > source - offset || (ulong)item.Length + length > MaxExifBytes)
            {
                throw new InvalidDataException("HEIF EXIF item lies outside the file or is over the size limit");
            }

            if (location.ConstructionMethod == 1)
            {
                item.Write(itemData.Span.Slice((int)offset, (int)length));
            }
            else
            {
                var buffer = new byte[length];
                stream.Position = (long)offset;
                stream.ReadExactly(buffer);
                item.Write(buffer);
            }
        }

        return item.ToArray();
    }

    /// <summary>A HEIF EXIF item starts with a 32-bit offset from its end to the TIFF header (past "Exif\0\0").</summary>
    private static byte[] ExifTiff(byte[] item)
    {
        if (item.Length < 4)
        {
            throw new InvalidDataException("HEIF EXIF item is shorter than its header");
        }

        var skip = BinaryPrimitives.ReadUInt32BigEndian(item);
        if (skip > (uint)(item.Length - 4))
        {
            throw new InvalidDataException("HEIF EXIF item's TIFF header offset points past its end");
        }

        return item[(4 + (int)skip)..];
    }

    private static string Printable(string fourCc) =>
        string.Concat(fourCc.Select(c => char.IsAsciiLetterOrDigit(c) || c == ' ' ? c : '?'));

    /// <summary>Big-endian reads that fail with <see cref="InvalidDataException"/> instead of reading past the box.</summary>
    private ref struct Cursor(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Offset { get; private set; }

        public uint LastFlags { get; private set; }

        public int FullBoxVersion()
        {
            var versionAndFlags = U32();
            LastFlags = versionAndFlags & 0xFFFFFF;
            return (int)(versionAndFlags >> 24);
        }

        public byte U8() => Take(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

        public string FourCc() => Encoding.ASCII.GetString(Take(4));

        public ulong Sized(int byteCount) => byteCount switch
        {
            0 => 0,
            4 => U32(),
            8 => BinaryPrimitives.ReadUInt64BigEndian(Take(8)),
            _ => throw new InvalidDataException($"HEIF 'iloc' field size {byteCount} is not 0, 4 or 8"),
        };

        public void Skip(int count) => Take(count);

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _data.Length - Offset)
            {
                throw new InvalidDataException("HEIF box is shorter than its fields");
            }

            var slice = _data.Slice(Offset, count);
            Offset += count;
            return slice;
        }
    }
}
