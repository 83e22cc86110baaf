using System.Buffers.Binary;
using MetadataExtractor.Util;

namespace PrivateVlm.Metadata;

/// <summary>The container formats L0 reads, recognised from the file's first bytes (never its extension alone).</summary>
public enum PhotoFormat
{
    Jpeg,
    Heif,
    Avif,
    Png,
    Tiff,
    WebP,
    JpegXl,

    /// <summary>Camera raw in a TIFF structure (DNG, CR2, NEF, ARW, ORF, RW2...): EXIF read like a TIFF's.</summary>
    TiffRaw,

    /// <summary>Canon CR3: ISO base media boxes holding TIFF structures (CMT1..CMT4).</summary>
    Cr3,

    /// <summary>Fujifilm RAF: a header, then an embedded JPEG that carries the EXIF.</summary>
    Raf,
}

internal static class PhotoFormatNames
{
    /// <summary>The name stored in <see cref="PhotoMetadata.Format"/> for every format but the TIFF raws, whose name
    /// (DNG, CR2, NEF...) <see cref="PhotoFormatDetection"/> works out per file.</summary>
    public static string Name(this PhotoFormat format) => format switch
    {
        PhotoFormat.Jpeg => "JPEG",
        PhotoFormat.Heif => "HEIF",
        PhotoFormat.Avif => "AVIF",
        PhotoFormat.Png => "PNG",
        PhotoFormat.Tiff => "TIFF",
        PhotoFormat.WebP => "WebP",
        PhotoFormat.JpegXl => "JPEG XL",
        PhotoFormat.TiffRaw => "raw",
        PhotoFormat.Cr3 => "CR3",
        PhotoFormat.Raf => "RAF",
        _ => format.ToString(),
    };

    public static PhotoFormat? FromDetected(FileType detected) => detected switch
    {
        FileType.Jpeg => PhotoFormat.Jpeg,
        FileType.Heif => PhotoFormat.Heif,
        FileType.Png => PhotoFormat.Png,
        FileType.Tiff => PhotoFormat.Tiff,
        FileType.WebP => PhotoFormat.WebP,
        FileType.Cr2 or FileType.Nef or FileType.Arw or FileType.Orf or FileType.Rw2 => PhotoFormat.TiffRaw,
        FileType.Crx => PhotoFormat.Cr3,
        FileType.Raf => PhotoFormat.Raf,
        _ => null,
    };
}

/// <summary>Recognises from the first bytes what MetadataExtractor 2.4.3 does not: AVIF and the other HEIF brands,
/// CR3 (which it calls QuickTime), and JPEG XL (which it does not know).</summary>
internal static class PhotoFormatDetection
{
    private static readonly byte[] JxlContainer = [0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ', 0x0D, 0x0A, 0x87, 0x0A];

    public static PhotoFormat? FromLeadingBytes(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2 && head[0] == 0xFF && head[1] == 0x0A)
        {
            return PhotoFormat.JpegXl; // bare codestream
        }

        if (head.StartsWith(JxlContainer))
        {
            return PhotoFormat.JpegXl;
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(head), (uint)head.Length);
            for (var at = 8; at + 4 <= size; at += at == 8 ? 8 : 4) // major brand, minor version, compatible brands
            {
                switch (System.Text.Encoding.ASCII.GetString(head.Slice(at, 4)))
                {
                    case "avif" or "avis":
                        return PhotoFormat.Avif;
                    case "crx ":
                        return PhotoFormat.Cr3;
                    case "heic" or "heix" or "heim" or "heis" or "hevc" or "hevx" or "mif1" or "msf1":
                        return PhotoFormat.Heif;
                }
            }
        }

        return null;
    }

    /// <summary>The raw flavour of a TIFF-structured file: DNG when it says so (DNGVersion), CR2/ORF/RW2 by their
    /// own signatures; NEF, ARW and the rest are plain TIFF structures, so their extension names them.</summary>
    public static string RawName(ReadOnlySpan<byte> head, bool hasDngVersion, string path)
    {
        if (hasDngVersion)
        {
            return "DNG";
        }

        if (head.Length >= 10 && head[8] == (byte)'C' && head[9] == (byte)'R')
        {
            return "CR2";
        }

        if (head.Length >= 4 && (head[2] == (byte)'R' && head[3] == (byte)'O' || head[2] == (byte)'S' && head[3] == (byte)'R'
                                 || head[0] == (byte)'M' && head[2] == (byte)'O' && head[3] == (byte)'R'))
        {
            return "ORF";
        }

        if (head.Length >= 4 && head[2] == (byte)'U' && head[3] == 0)
        {
            return "RW2";
        }

        var extension = Path.GetExtension(path).TrimStart('.').ToUpperInvariant();
        return extension is "NEF" or "NRW" or "ARW" or "SR2" or "SRF" or "PEF" or "ERF" or "3FR" or "IIQ" or "RWL" or "MOS" or "KDC" or "DCR"
            ? extension
            : "TIFF";
    }
}
