using System.Buffers.Binary;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Imaging;

/// <summary>
/// The full-size JPEG a camera raw file carries beside its sensor data, for the tiers that need pixels. libvips cannot
/// demosaic sensor data without LibRaw (none of the libvips here has it), and its TIFF loader reads a raw's first
/// directory, which in NEF, DNG and ARW files is a thumbnail of 160 x 120 or so: the camera's own preview is the
/// picture to look at. Its place comes from the TIFF directories MetadataExtractor exposes (JPEGInterchangeFormat and
/// its length, or a single JPEG strip) in the first directory, its SubIFDs and the thumbnail directory, and from the
/// RAF header for Fujifilm files; the largest baseline JPEG wins (lossless-JPEG strips are sensor data, not pictures).
/// </summary>
/// <param name="RawName">"DNG", "NEF", "RAF"...</param>
/// <param name="Orientation">The raw's own EXIF orientation, which wins over whatever the preview says (the camera writes
/// it in the raw's first directory; an embedded preview says 1 or nothing); 0 when the raw states none (RAF keeps it in
/// the preview's own EXIF), and then the preview's decides.</param>
internal sealed record CameraRawPreview(string RawName, long Offset, int Length, int Width, int Height, int Orientation)
{
    /// <summary>The <see cref="PhotoHeader.Format"/> of a photo decoded from its embedded preview.</summary>
    public const string Format = "raw";

    /// <summary>What to install so libvips decodes the sensor data itself.</summary>
    public const string RawInstall = "a libvips 8.17+ built with LibRaw (its dcrawload loader)";

    private const int TagJpegOffset = 0x0201;
    private const int TagJpegLength = 0x0202;
    private const int TagCompression = 0x0103;
    private const int TagPhotometric = 0x0106;
    private const int TagStripOffsets = 0x0111;
    private const int TagStripByteCounts = 0x0117;
    private const int TagOrientation = 0x0112;
    private const int TagDngVersion = 0xC612;
    private const int PhotometricCfa = 32803;
    private const int PhotometricLinearRaw = 34892;

    // Beyond this a "preview" is not a preview: no camera writes one past 64 MB, and reading it would be a memory trap.
    private const int MaxPreviewBytes = 64 * 1024 * 1024;

    private static readonly TimeSpan ParseLimit = TimeSpan.FromSeconds(10);

    /// <summary>The preview of a camera raw file; null when the file is not a camera raw (libvips decodes it as it is).</summary>
    /// <exception cref="NotAvailableHereException">A camera raw without a usable embedded JPEG: only a raw decoder can
    /// show it, and libvips here has none.</exception>
    public static CameraRawPreview? Find(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 16 * 1024);
        Span<byte> head = stackalloc byte[96];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];
        if (head.StartsWith("FUJIFILMCCD-RAW"u8))
        {
            return Raf(stream, head);
        }

        if (PhotoFormatDetection.FromLeadingBytes(head) == PhotoFormat.Cr3)
        {
            // Its full-size JPEG sits in the movie track's first sample; only the 1620 px PRVW box is easy to reach.
            throw new NotAvailableHereException($"decoding CR3 raw data (libvips cannot, and its full-size preview is not read yet)", RawInstall);
        }

        if (!LooksLikeTiff(head))
        {
            return null;
        }

        stream.Position = 0;
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            directories = MetadataParseThread.Run(() => ImageMetadataReader.ReadMetadata(stream), ParseLimit);
        }
        catch (Exception e) when (e is ImageProcessingException or TimeoutException)
        {
            return null; // unreadable as TIFF: libvips gives its own verdict on the file
        }

        var exif = directories.OfType<ExifDirectoryBase>().ToList();
        var isDng = exif.Any(d => d.ContainsTag(TagDngVersion));
        var hasSensorData = exif.Any(d => Number(d, TagPhotometric) is PhotometricCfa or PhotometricLinearRaw);
        var signatureName = PhotoFormatDetection.RawName(head, isDng, path);
        var isRawSignature = signatureName is "CR2" or "ORF" or "RW2";
        if (!isDng && !hasSensorData && !isRawSignature)
        {
            return null; // an ordinary TIFF
        }

        var orientation = (int)(exif.OfType<ExifIfd0Directory>().Select(d => Number(d, TagOrientation)).FirstOrDefault(o => o is >= 1 and <= 8) ?? 0);
        var name = signatureName == "TIFF" ? "raw" : signatureName;
        var best = Candidates(exif)
            .Select(c => Probe(stream, c.Offset, c.Length))
            .OfType<(long Offset, int Length, int Width, int Height)>()
            .OrderByDescending(c => (long)c.Width * c.Height)
            .FirstOrDefault();
        if (best.Length > 0)
        {
            return new CameraRawPreview(name, best.Offset, best.Length, best.Width, best.Height, orientation);
        }

        // A damaged file is its own problem, not the machine's: libvips gives the verdict on it.
        return directories.Any(d => d.HasError)
            ? null
            : throw new NotAvailableHereException($"decoding {name} raw data (libvips cannot, and the file embeds no JPEG preview)", RawInstall);
    }

    /// <summary>The preview's bytes, read again from the file (it may be tens of MB: not kept between calls).</summary>
    public byte[] Read(string path)
    {
        using var handle = File.OpenHandle(path);
        var bytes = new byte[Length];
        var read = RandomAccess.Read(handle, bytes, Offset);
        return read == Length ? bytes : throw new PhotoRejectedException($"truncated {RawName}: its JPEG preview ends past the end of the file: {path}");
    }

    private static bool LooksLikeTiff(ReadOnlySpan<byte> head) =>
        head.Length >= 8 && ((head[0] == 'I' && head[1] == 'I') || (head[0] == 'M' && head[1] == 'M'));

    private static IEnumerable<(long Offset, long Length)> Candidates(IEnumerable<ExifDirectoryBase> directories)
    {
        foreach (var directory in directories)
        {
            if (Number(directory, TagJpegOffset) is { } offset && Number(directory, TagJpegLength) is { } length)
            {
                yield return (offset, length);
            }

            // CR2's first directory and DNG previews store the JPEG as a single strip (compression 6 or 7).
            if (Number(directory, TagCompression) is 6 or 7
                && Number(directory, TagPhotometric) is not (PhotometricCfa or PhotometricLinearRaw)
                && Number(directory, TagStripOffsets) is { } strip && Number(directory, TagStripByteCounts) is { } stripLength)
            {
                yield return (strip, stripLength);
            }
        }
    }

    /// <summary>A single number, or null for absent tags and lists of several values (tiled or multi-strip data).</summary>
    private static long? Number(MetadataExtractor.Directory directory, int tag) =>
        directory.GetObject(tag) switch
        {
            null => null,
            Array { Length: 1 } one => Convert.ToInt64(one.GetValue(0), System.Globalization.CultureInfo.InvariantCulture),
            Array => null,
            IConvertible value => value.ToInt64(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };

    private static CameraRawPreview Raf(Stream stream, ReadOnlySpan<byte> head)
    {
        // The RAF header gives the embedded JPEG's offset and length as big-endian numbers at bytes 84 and 88.
        var found = head.Length >= 92
            ? Probe(stream, BinaryPrimitives.ReadUInt32BigEndian(head[84..]), BinaryPrimitives.ReadUInt32BigEndian(head[88..]))
            : null;
        return found is { } preview
            ? new CameraRawPreview("RAF", preview.Offset, preview.Length, preview.Width, preview.Height, 0)
            : throw new NotAvailableHereException("decoding RAF raw data (libvips cannot, and the file embeds no JPEG preview)", RawInstall);
    }

    /// <summary>The size of a baseline or progressive JPEG at <paramref name="offset"/>; null when something else is there
    /// (lossless JPEG sensor data, a bad offset, a JPEG running past the end of the file).</summary>
    private static (long Offset, int Length, int Width, int Height)? Probe(Stream stream, long offset, long length)
    {
        if (offset <= 0 || length < 4 || length > MaxPreviewBytes || offset + length > stream.Length)
        {
            return null;
        }

        stream.Position = offset;
        Span<byte> marker = stackalloc byte[9];
        if (stream.ReadAtLeast(marker[..2], 2, throwOnEndOfStream: false) < 2 || marker[0] != 0xFF || marker[1] != 0xD8)
        {
            return null;
        }

        // Walk the segments up to the frame header; SOF0..SOF2 are pictures, SOF3 (lossless) is sensor data.
        while (stream.Position + 4 <= offset + length)
        {
            if (stream.ReadAtLeast(marker[..4], 4, throwOnEndOfStream: false) < 4 || marker[0] != 0xFF)
            {
                return null;
            }

            var type = marker[1];
            var segment = BinaryPrimitives.ReadUInt16BigEndian(marker[2..]);
            if (type is 0xC0 or 0xC1 or 0xC2)
            {
                if (stream.ReadAtLeast(marker[..5], 5, throwOnEndOfStream: false) < 5)
                {
                    return null;
                }

                int height = BinaryPrimitives.ReadUInt16BigEndian(marker[1..]), width = BinaryPrimitives.ReadUInt16BigEndian(marker[3..]);
                return width > 0 && height > 0 ? (offset, (int)length, width, height) : null;
            }

            if (type is >= 0xC3 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC || type == 0xDA || segment < 2)
            {
                return null;
            }

            stream.Position += segment - 2;
        }

        return null;
    }
}
