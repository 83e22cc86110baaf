using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Metadata;

/// <summary>
/// Looks at the shapes MetadataExtractor 2.4.3 cannot survive before it parses a file, and rejects the file instead:
/// TIFF/EXIF structures linking more directories than <see cref="TiffDirectoryCensus.MaxDirectories"/> (stack
/// overflow, which ends the process) and XMP nested deeper than <see cref="XmpNesting.MaxDepth"/> (exponential time).
/// It finds the blocks where the library will find them: EXIF in JPEG APP1, PNG eXIf, WebP EXIF, the HEIF Exif item or
/// the whole TIFF; XMP in PNG iTXt, WebP "XMP ", HEIF 'mime' items and the XMP/Photoshop tags of any TIFF structure.
/// JPEG APP1/APP13 XMP is not looked at because the reader does not hand those segments to the library at all.
/// </summary>
internal static class MetadataParserGuard
{
    private const int MaxInflatedXmpBytes = 16 * 1024 * 1024;
    private static readonly byte[] XmpPreamble = "http://ns.adobe.com/xap/1.0/\0"u8.ToArray();
    private static readonly byte[] PhotoshopPreamble = "Photoshop 3.0\0"u8.ToArray();

    public static void Check(Stream stream, PhotoFormat format)
    {
        var tiffBlocks = new List<Stream>();
        var xmpPackets = new List<byte[]>();
        switch (format)
        {
            case PhotoFormat.Jpeg:
                tiffBlocks.AddRange(JpegExifBlocks(stream, 0, xmpPackets));
                break;
            case PhotoFormat.Tiff or PhotoFormat.TiffRaw:
                tiffBlocks.Add(stream);
                break;
            case PhotoFormat.Raf:
                RafBlocks(stream, tiffBlocks, xmpPackets);
                break;
            case PhotoFormat.JpegXl:
                var content = JpegXlReader.Read(stream);
                if (content.ExifTiff is { } exif)
                {
                    tiffBlocks.Add(new MemoryStream(exif, writable: false));
                }

                if (content.Xmp is { } xmp)
                {
                    xmpPackets.Add(xmp);
                }

                break;
            case PhotoFormat.Png:
                PngBlocks(stream, tiffBlocks, xmpPackets);
                break;
            case PhotoFormat.WebP:
                WebPBlocks(stream, tiffBlocks, xmpPackets);
                break;
            case PhotoFormat.Heif or PhotoFormat.Avif:
                HeifBlocks(stream, tiffBlocks, xmpPackets);
                break;
        }

        foreach (var tiff in tiffBlocks)
        {
            if (TiffDirectoryCensus.Count(tiff, xmpPackets) > TiffDirectoryCensus.MaxDirectories)
            {
                throw new PhotoRejectedException(
                    $"corrupt {format.Name()}: its TIFF/EXIF data links more than {TiffDirectoryCensus.MaxDirectories} " +
                    "directories (a real photo has a handful; this shape crashes metadata parsers)");
            }
        }

        foreach (var xmp in xmpPackets)
        {
            var depth = XmpNesting.Depth(xmp);
            if (depth > XmpNesting.MaxDepth)
            {
                throw new PhotoRejectedException(
                    $"corrupt {format.Name()}: its XMP nests {depth} elements deep (real XMP nests about 10; past " +
                    $"{XmpNesting.MaxDepth} the metadata parser takes exponential time)");
            }
        }

        stream.Position = 0;
    }

    /// <summary>APP1 segments starting "Exif\0\0" (EXIF) or with the XMP namespace, and APP13 Photoshop resources
    /// (XMP inside), up to the start of the scan. <paramref name="start"/> is where the JPEG begins (a RAF embeds one).</summary>
    private static List<Stream> JpegExifBlocks(Stream stream, long start, List<byte[]> xmpPackets)
    {
        var blocks = new List<Stream>();
        Span<byte> header = stackalloc byte[4];
        Span<byte> preamble = stackalloc byte[6];
        Span<byte> xmpPreamble = stackalloc byte[XmpPreamble.Length];
        Span<byte> photoshopPreamble = stackalloc byte[PhotoshopPreamble.Length];
        for (var offset = start + 2; TiffDirectoryCensus.ReadAt(stream, offset, header) && header[0] == 0xFF;)
        {
            var marker = header[1];
            if (marker is 0xDA or 0xD9)
            {
                break;
            }

            if (marker is 0xFF or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                offset += marker == 0xFF ? 1 : 2; // fill byte or a marker without a length
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
            if (marker == 0xE1 && length > 8 && TiffDirectoryCensus.ReadAt(stream, offset + 4, preamble)
                && preamble.SequenceEqual("Exif\0\0"u8))
            {
                blocks.Add(Slice(stream, offset + 10, Math.Min(length - 8, stream.Length - offset - 10)));
            }
            else if (marker == 0xE1 && length > 2 + XmpPreamble.Length && TiffDirectoryCensus.ReadAt(stream, offset + 4, xmpPreamble)
                     && xmpPreamble.SequenceEqual(XmpPreamble))
            {
                var at = offset + 4 + XmpPreamble.Length;
                xmpPackets.Add(Slice(stream, at, Math.Min(length - 2 - XmpPreamble.Length, stream.Length - at)).ToArray());
            }
            else if (marker == 0xED && length > 2 + PhotoshopPreamble.Length && TiffDirectoryCensus.ReadAt(stream, offset + 4, photoshopPreamble)
                     && photoshopPreamble.SequenceEqual(PhotoshopPreamble))
            {
                var at = offset + 4 + PhotoshopPreamble.Length;
                xmpPackets.AddRange(PhotoshopResources.Xmp(Slice(stream, at, Math.Min(length - 2 - PhotoshopPreamble.Length, stream.Length - at)).ToArray()));
            }

            offset += 2L + length;
        }

        return blocks;
    }

    /// <summary>A RAF's embedded JPEG (its offset and length are big-endian words at 84 and 88) holds the EXIF.</summary>
    private static void RafBlocks(Stream stream, List<Stream> tiffBlocks, List<byte[]> xmpPackets)
    {
        Span<byte> pointer = stackalloc byte[4];
        if (TiffDirectoryCensus.ReadAt(stream, 84, pointer))
        {
            var jpeg = BinaryPrimitives.ReadUInt32BigEndian(pointer);
            if (jpeg < stream.Length)
            {
                tiffBlocks.AddRange(JpegExifBlocks(stream, jpeg, xmpPackets));
            }
        }
    }

    /// <summary>PNG 'eXIf' (a bare TIFF structure) and 'iTXt' with the XMP keyword, inflated when compressed.</summary>
    private static void PngBlocks(Stream stream, List<Stream> tiffBlocks, List<byte[]> xmpPackets)
    {
        Span<byte> header = stackalloc byte[8];
        for (var offset = 8L; TiffDirectoryCensus.ReadAt(stream, offset, header);)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = Encoding.ASCII.GetString(header[4..]);
            if (length > stream.Length - offset - 8 || type == "IEND")
            {
                break;
            }

            if (type == "eXIf")
            {
                tiffBlocks.Add(Slice(stream, offset + 8, length));
            }
            else if (type == "iTXt" && PngXmp(Slice(stream, offset + 8, length).ToArray()) is { } xmp)
            {
                xmpPackets.Add(xmp);
            }

            offset += 12L + length;
        }
    }

    /// <summary>iTXt: keyword, NUL, compression flag, method, language tag, NUL, translated keyword, NUL, text.</summary>
    private static byte[]? PngXmp(byte[] chunk)
    {
        const string keyword = "XML:com.adobe.xmp";
        if (chunk.Length < keyword.Length + 3 || !chunk.AsSpan(0, keyword.Length + 1).SequenceEqual(Encoding.ASCII.GetBytes(keyword + "\0")))
        {
            return null;
        }

        var compressed = chunk[keyword.Length + 1] == 1;
        var rest = chunk.AsSpan(keyword.Length + 3);
        for (var field = 0; field < 2; field++)
        {
            var nul = rest.IndexOf((byte)0);
            if (nul < 0)
            {
                return null;
            }

            rest = rest[(nul + 1)..];
        }

        if (!compressed)
        {
            return rest.ToArray();
        }

        // The library inflates it all; a small chunk that inflates past the limit is a bomb, not a photo's XMP.
        using var inflate = new ZLibStream(new MemoryStream(rest.ToArray()), CompressionMode.Decompress);
        using var text = new MemoryStream();
        var buffer = new byte[81920];
        for (int read; (read = inflate.Read(buffer)) > 0;)
        {
            text.Write(buffer, 0, read);
            if (text.Length > MaxInflatedXmpBytes)
            {
                throw new PhotoRejectedException($"corrupt PNG: its compressed XMP inflates past {MaxInflatedXmpBytes / (1024 * 1024)} MB");
            }
        }

        return text.ToArray();
    }

    /// <summary>WebP RIFF 'EXIF' (with or without the "Exif\0\0" preamble some writers keep) and 'XMP ' chunks.</summary>
    private static void WebPBlocks(Stream stream, List<Stream> tiffBlocks, List<byte[]> xmpPackets)
    {
        Span<byte> header = stackalloc byte[8];
        for (var offset = 12L; TiffDirectoryCensus.ReadAt(stream, offset, header);)
        {
            var type = Encoding.ASCII.GetString(header[..4]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (length > stream.Length - offset - 8)
            {
                break;
            }

            if (type == "EXIF")
            {
                var block = Slice(stream, offset + 8, length);
                tiffBlocks.Add(block.Length > 6 && block.ToArray().AsSpan(0, 6).SequenceEqual("Exif\0\0"u8)
                    ? Slice(block, 6, block.Length - 6)
                    : block);
            }
            else if (type == "XMP ")
            {
                xmpPackets.Add(Slice(stream, offset + 8, length).ToArray());
            }

            offset += 8L + length + (length & 1);
        }
    }

    /// <summary>The HEIF Exif item and 'mime' items. A HEIF whose boxes cannot be walked is left to MetadataExtractor.</summary>
    private static void HeifBlocks(Stream stream, List<Stream> tiffBlocks, List<byte[]> xmpPackets)
    {
        HeifItems items;
        try
        {
            items = HeifItemReader.Read(stream);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or OverflowException)
        {
            return;
        }

        if (items.ExifTiff is { } tiff)
        {
            tiffBlocks.Add(new MemoryStream(tiff, writable: false));
        }

        xmpPackets.AddRange(items.MimeItems);
    }

    private static MemoryStream Slice(Stream stream, long offset, long length)
    {
        var bytes = new byte[Math.Max(0, length)];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return new MemoryStream(bytes, writable: false);
    }
}
