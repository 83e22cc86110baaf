using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MetadataExtractor.Formats.Jpeg;

namespace PrivateVlm.Metadata;

/// <summary>Camera facts from JPEG segments of cameras older than EXIF's spread (late 1990s).</summary>
internal sealed record PreExifCamera(string? Make, string? Model, DateTime? TakenAt, string Source);

/// <summary>
/// Reads the two pre-EXIF camera blocks exiftool reads and MetadataExtractor does not, in the same pass over the JPEG's
/// segments: Canon's CIFF heap in APP0 ("II", header length, "HEAPJPGM": MakeModel 0x080A and TimeStamp 0x180E, whose
/// first word is Unix seconds of the camera's clock) and Olympus's "[picture info]" text in APP12 (TimeDate=Unix
/// seconds). Both clocks count the camera's wall-clock time as if it were UTC, so the time is taken as is, without an
/// offset, as exiftool shows it.
/// </summary>
internal sealed class PreExifCameraSegments : IJpegSegmentMetadataReader
{
    private const int MaxDepth = 8;
    private const int MaxEntries = 1024;

    public PreExifCamera? Found { get; private set; }

    public ICollection<JpegSegmentType> SegmentTypes => [JpegSegmentType.App0, JpegSegmentType.AppC];

    public IReadOnlyList<MetadataExtractor.Directory> ReadJpegSegments(IEnumerable<JpegSegment> segments)
    {
        foreach (var segment in segments)
        {
            try
            {
                Found ??= segment.Type == JpegSegmentType.App0 ? Ciff(segment.Bytes) : PictureInfo(segment.Bytes);
            }
            catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidDataException)
            {
                // A damaged legacy block only means these facts are missing; the EXIF beside it is unaffected.
            }
        }

        return [];
    }

    private static PreExifCamera? Ciff(byte[] bytes)
    {
        if (bytes.Length < 14 || bytes[0] != (byte)'I' || bytes[1] != (byte)'I' || !bytes.AsSpan(6, 8).SequenceEqual("HEAPJPGM"u8))
        {
            return null;
        }

        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(2));
        if (headerLength < 14 || headerLength >= bytes.Length)
        {
            return null;
        }

        string? make = null, model = null;
        DateTime? taken = null;
        Heap(bytes.AsSpan(headerLength), 0, ref make, ref model, ref taken);
        return make is null && taken is null ? null : new PreExifCamera(make, model, taken, "ciff:DateTimeOriginal");
    }

    /// <summary>A heap ends with the offset of its table: a count, then 10-byte entries (tag, size, offset).</summary>
    private static void Heap(ReadOnlySpan<byte> heap, int depth, ref string? make, ref string? model, ref DateTime? taken)
    {
        if (depth > MaxDepth || heap.Length < 6)
        {
            return;
        }

        var table = BinaryPrimitives.ReadInt32LittleEndian(heap[^4..]);
        if (table < 0 || table > heap.Length - 6)
        {
            return;
        }

        var count = BinaryPrimitives.ReadUInt16LittleEndian(heap[table..]);
        for (var i = 0; i < Math.Min((int)count, MaxEntries); i++)
        {
            var entry = table + 2 + (i * 10);
            if (entry + 10 > heap.Length)
            {
                return;
            }

            var tag = BinaryPrimitives.ReadUInt16LittleEndian(heap[entry..]);
            var size = BinaryPrimitives.ReadInt32LittleEndian(heap[(entry + 2)..]);
            var offset = BinaryPrimitives.ReadInt32LittleEndian(heap[(entry + 6)..]);
            // Bits 14-15 = 1: the value is stored in the entry's own 8 bytes instead of the heap.
            var value = (tag & 0xC000) == 0x4000
                ? heap.Slice(entry + 2, 8)
                : offset >= 0 && size >= 0 && offset <= heap.Length - size ? heap.Slice(offset, size) : ReadOnlySpan<byte>.Empty;
            switch (tag & 0x3FFF)
            {
                case 0x080A when make is null:
                    var parts = Encoding.ASCII.GetString(value).Split('\0');
                    make = parts[0].Trim() is { Length: > 0 } m ? m : null;
                    model = parts.Length > 1 && parts[1].Trim() is { Length: > 0 } n ? n : null;
                    break;
                case 0x180E when taken is null && value.Length >= 4:
                    var seconds = BinaryPrimitives.ReadUInt32LittleEndian(value);
                    taken = seconds > 0 ? DateTime.SpecifyKind(DateTime.UnixEpoch.AddSeconds(seconds), DateTimeKind.Unspecified) : null;
                    break;
                default:
                    if ((tag & 0x3800) is 0x2800 or 0x3000 && (tag & 0xC000) == 0 && value.Length > 0)
                    {
                        Heap(value, depth + 1, ref make, ref model, ref taken);
                    }

                    break;
            }
        }
    }

    private static PreExifCamera? PictureInfo(byte[] bytes)
    {
        var text = Encoding.ASCII.GetString(bytes);
        var at = text.IndexOf("[picture info]", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        foreach (var line in text[at..].Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("TimeDate=", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and < 4_000_000_000)
            {
                return new PreExifCamera(null, null, DateTime.SpecifyKind(DateTime.UnixEpoch.AddSeconds(seconds), DateTimeKind.Unspecified),
                    "pictureinfo:TimeDate");
            }
        }

        return null;
    }
}
