using System.Globalization;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;

namespace PrivateVlm.Metadata;

/// <summary>
/// When the photo was taken: the first EXIF time that parses, in the order exiftool users expect
/// (DateTimeOriginal, then DateTimeDigitized, then IFD0 DateTime), each with its own offset and sub-second tag.
/// A photo with none of them falls back to the file's modification time in the machine's zone.
/// </summary>
internal sealed record CaptureTime(DateTime Local, TimeSpan? Offset, string Source)
{
    public const string DateTimeOriginalSource = "exif:DateTimeOriginal";
    public const string DateTimeDigitizedSource = "exif:DateTimeDigitized";
    public const string DateTimeSource = "exif:DateTime";
    public const string FileModifiedSource = "file:mtime";

    // OffsetTime* and SubSecTime* were added in EXIF 2.31; MetadataExtractor 2.4.3 stores them by number only.
    private const int TagOffsetTime = 0x9010;
    private const int TagOffsetTimeOriginal = 0x9011;
    private const int TagOffsetTimeDigitized = 0x9012;

    private static readonly string[] DateFormats =
    [
        "yyyy:MM:dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy:MM:dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy:MM:dd HH:mm", "yyyy-MM-dd HH:mm",
    ];

    public static CaptureTime? FromExif(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var subIfd = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();

        return From(subIfd, subIfd, ExifDirectoryBase.TagDateTimeOriginal, TagOffsetTimeOriginal,
                   ExifDirectoryBase.TagSubsecondTimeOriginal, DateTimeOriginalSource)
            ?? From(subIfd, subIfd, ExifDirectoryBase.TagDateTimeDigitized, TagOffsetTimeDigitized,
                   ExifDirectoryBase.TagSubsecondTimeDigitized, DateTimeDigitizedSource)
            // IFD0 holds DateTime itself, but its OffsetTime and SubSecTime companions live in the Exif sub-IFD.
            ?? From(ifd0, subIfd, ExifDirectoryBase.TagDateTime, TagOffsetTime,
                   ExifDirectoryBase.TagSubsecondTime, DateTimeSource);
    }

    /// <summary>The file's modification time as wall-clock time in <paramref name="zone"/>, with that zone's offset
    /// at that instant (so a summer photo gets the summer offset even when read in winter).</summary>
    public static CaptureTime FromFileModified(DateTime modifiedUtc, TimeZoneInfo zone)
    {
        var utc = DateTime.SpecifyKind(modifiedUtc, DateTimeKind.Utc);
        var offset = zone.GetUtcOffset(utc);
        return new CaptureTime(DateTime.SpecifyKind(utc + offset, DateTimeKind.Unspecified), offset, FileModifiedSource);
    }

    private static CaptureTime? From(
        MetadataExtractor.Directory? timeDirectory, MetadataExtractor.Directory? companions,
        int timeTag, int offsetTag, int subSecondTag, string source)
    {
        if (timeDirectory is null || ParseLocal(ExifText.Read(timeDirectory, timeTag)) is not { } local)
        {
            return null;
        }

        if (companions is not null && ParseSubSecond(ExifText.Read(companions, subSecondTag)) is { } fraction)
        {
            local += fraction;
        }

        var offset = companions is null ? null : ParseOffset(ExifText.Read(companions, offsetTag));
        return new CaptureTime(local, offset, source);
    }

    /// <summary>Cameras with an unset clock write "0000:00:00 00:00:00" or blanks: that is no time, not year 0.</summary>
    internal static DateTime? ParseLocal(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        // Some writers append a zone ("...Z", "...+02:00") that the EXIF field does not allow; the first 19
        // characters are the wall-clock part and the zone belongs in OffsetTime*, so it is ignored here.
        var trimmed = text.Trim();
        if (trimmed.Length > 19)
        {
            trimmed = trimmed[..19];
        }

        return DateTime.TryParseExact(trimmed, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? DateTime.SpecifyKind(parsed, DateTimeKind.Unspecified)
            : null;
    }

    /// <summary>"+03:00", "-05:00" (EXIF 2.31 OffsetTime*); anything else, including blanks, is unknown.</summary>
    internal static TimeSpan? ParseOffset(string? text)
    {
        var trimmed = text?.Trim();
        if (trimmed is not { Length: 6 } || trimmed[3] != ':' || (trimmed[0] != '+' && trimmed[0] != '-'))
        {
            return null;
        }

        if (!int.TryParse(trimmed.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            || !int.TryParse(trimmed.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            || hours > 14 || minutes > 59)
        {
            return null;
        }

        var offset = new TimeSpan(hours, minutes, 0);
        return trimmed[0] == '-' ? -offset : offset;
    }

    /// <summary>SubSecTime* is the decimal fraction's digits ("054" is 0.054 s); digits past 100 ns are dropped.</summary>
    internal static TimeSpan? ParseSubSecond(string? text)
    {
        var digits = text?.Trim();
        if (string.IsNullOrEmpty(digits) || !digits.All(char.IsAsciiDigit))
        {
            return null;
        }

        var ticksDigits = digits.Length > 7 ? digits[..7] : digits.PadRight(7, '0');
        return TimeSpan.FromTicks(long.Parse(ticksDigits, CultureInfo.InvariantCulture));
    }
}
