using System.Globalization;
using System.Text.RegularExpressions;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Exif.Makernotes;
using MetadataExtractor.Formats.Iptc;

namespace PrivateVlm.Metadata;

/// <summary>
/// When the photo was taken: the first capture time that parses, in the order Immich reads exiftool's tags
/// (DateTimeOriginal, CreateDate, DateTimeCreated, GPSDateTime...), each looked for in EXIF first and then in XMP and
/// IPTC, because edited exports (Lightroom, Photoshop, Apple Photos) drop the EXIF capture time and keep it only
/// there. A sidecar's capture time wins over the photo's. EXIF ModifyDate is the time of the last edit, so it is used
/// only when nothing else says when the photo was taken, and the file's modification time after that.
/// Sub-seconds and the UTC offset come from the tag itself (XMP "...+02:00"), else from an OffsetTime* tag of the
/// same file, else from the difference between the camera's clock and the GPS (UTC) time.
/// </summary>
internal sealed partial record CaptureTime(DateTime Local, TimeSpan? Offset, string Source)
{
    public const string DateTimeOriginalSource = "exif:DateTimeOriginal";
    public const string DateTimeDigitizedSource = "exif:DateTimeDigitized";
    public const string DateTimeSource = "exif:DateTime";
    public const string FileModifiedSource = "file:mtime";
    public const string SidecarPrefix = "sidecar:";

    // OffsetTime* were added in EXIF 2.31; MetadataExtractor 2.4.3 stores them by number only.
    private const int TagOffsetTime = 0x9010;
    private const int TagOffsetTimeOriginal = 0x9011;
    private const int TagOffsetTimeDigitized = 0x9012;

    private static readonly string[] DateFormats =
    [
        "yyyy:MM:dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy:MM:dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy:MM:dd HH:mm", "yyyy-MM-dd HH:mm",
    ];

    /// <summary>The photo's own capture time (not ModifyDate, not the file time), with its offset where one is known.</summary>
    public static CaptureTime? FromPhoto(IReadOnlyList<MetadataExtractor.Directory> directories, XmpFacts xmp)
    {
        var subIfd = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var found =
            FromExif(subIfd, subIfd, ExifDirectoryBase.TagDateTimeOriginal, TagOffsetTimeOriginal, ExifDirectoryBase.TagSubsecondTimeOriginal, DateTimeOriginalSource)
            ?? FromXmp(xmp.DateTimeOriginal, "xmp:exif:DateTimeOriginal")
            ?? FromMakerNote(directories)
            ?? FromExif(subIfd, subIfd, ExifDirectoryBase.TagDateTimeDigitized, TagOffsetTimeDigitized, ExifDirectoryBase.TagSubsecondTimeDigitized, DateTimeDigitizedSource)
            ?? FromXmp(xmp.CreateDate, "xmp:xmp:CreateDate")
            ?? FromXmp(xmp.DateTimeDigitized, "xmp:exif:DateTimeDigitized")
            ?? FromIptc(directories.OfType<IptcDirectory>().FirstOrDefault())
            ?? FromXmp(xmp.PhotoshopDateCreated, "xmp:photoshop:DateCreated")
            ?? FromGps(directories.OfType<GpsDirectory>().FirstOrDefault());
        return found?.WithOffsetFrom(directories);
    }

    /// <summary>A sidecar's capture time, which darktable and Lightroom mean to replace the photo's own.</summary>
    public static CaptureTime? FromSidecar(XmpFacts sidecar) =>
        (FromXmp(sidecar.DateTimeOriginal, "xmp:exif:DateTimeOriginal")
         ?? FromXmp(sidecar.CreateDate, "xmp:xmp:CreateDate")
         ?? FromXmp(sidecar.DateTimeDigitized, "xmp:exif:DateTimeDigitized")
         ?? FromXmp(sidecar.PhotoshopDateCreated, "xmp:photoshop:DateCreated")) is { } time
            ? time with { Source = SidecarPrefix + time.Source }
            : null;

    /// <summary>EXIF ModifyDate (IFD0 DateTime): when the file was last edited, the last resort before the file time.</summary>
    public static CaptureTime? FromModifyDate(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var subIfd = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        // IFD0 holds DateTime itself, but its OffsetTime and SubSecTime companions live in the Exif sub-IFD.
        return FromExif(directories.OfType<ExifIfd0Directory>().FirstOrDefault(), subIfd, ExifDirectoryBase.TagDateTime, TagOffsetTime,
                ExifDirectoryBase.TagSubsecondTime, DateTimeSource)
            ?.WithOffsetFrom(directories);
    }

    /// <summary>The file's modification time as wall-clock time in <paramref name="zone"/>, with that zone's offset
    /// at that instant (so a summer photo gets the summer offset even when read in winter).</summary>
    public static CaptureTime FromFileModified(DateTime modifiedUtc, TimeZoneInfo zone)
    {
        var utc = DateTime.SpecifyKind(modifiedUtc, DateTimeKind.Utc);
        var offset = zone.GetUtcOffset(utc);
        return new CaptureTime(DateTime.SpecifyKind(utc + offset, DateTimeKind.Unspecified), offset, FileModifiedSource);
    }

    /// <summary>An offset for a time that has none of its own: any OffsetTime* of the file, else the camera clock
    /// against the GPS clock (UTC) when they differ by whole quarter hours within a day's zones.</summary>
    private CaptureTime WithOffsetFrom(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        if (Offset is not null)
        {
            return this;
        }

        var subIfd = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var offset = subIfd is null
            ? null
            : ParseOffset(ExifText.Read(subIfd, TagOffsetTimeOriginal))
              ?? ParseOffset(ExifText.Read(subIfd, TagOffsetTimeDigitized))
              ?? ParseOffset(ExifText.Read(subIfd, TagOffsetTime));
        if (offset is null && GpsUtc(directories.OfType<GpsDirectory>().FirstOrDefault()) is { } utc)
        {
            var difference = Local - utc;
            var quarters = Math.Round(difference.TotalMinutes / 15);
            if (Math.Abs(difference.TotalHours) <= 14 && Math.Abs(difference.TotalMinutes - quarters * 15) <= 2)
            {
                offset = TimeSpan.FromMinutes(quarters * 15);
            }
        }

        return offset is null ? this : this with { Offset = offset };
    }

    private static CaptureTime? FromExif(
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

    private static CaptureTime? FromXmp(string? text, string source) =>
        ParseXmp(text) is { } parsed ? new CaptureTime(parsed.Local, parsed.Offset, source) : null;

    /// <summary>Trail cameras keep the capture time in their maker note only (Reconyx).</summary>
    private static CaptureTime? FromMakerNote(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        foreach (var directory in directories)
        {
            var tag = directory switch
            {
                ReconyxHyperFireMakernoteDirectory => ReconyxHyperFireMakernoteDirectory.TagDateTimeOriginal,
                ReconyxUltraFireMakernoteDirectory => ReconyxUltraFireMakernoteDirectory.TagDateTimeOriginal,
                _ => -1,
            };
            if (tag >= 0 && directory.TryGetDateTime(tag, out var time) && time.Year > 1900)
            {
                return new CaptureTime(DateTime.SpecifyKind(time, DateTimeKind.Unspecified), null, $"makernote:{directory.Name}:DateTimeOriginal");
            }
        }

        return null;
    }

    /// <summary>IPTC DateCreated (CCYYMMDD) with TimeCreated (HHMMSS±HHMM): what Photoshop and newsroom tools write.</summary>
    private static CaptureTime? FromIptc(IptcDirectory? iptc)
    {
        var date = iptc?.GetString(IptcDirectory.TagDateCreated)?.Trim().Replace("-", "", StringComparison.Ordinal).Replace(":", "", StringComparison.Ordinal);
        var time = iptc?.GetString(IptcDirectory.TagTimeCreated)?.Trim().Replace(":", "", StringComparison.Ordinal);
        if (date is not { Length: 8 } || time is not { Length: >= 6 }
            || !DateTime.TryParseExact(date + time[..6], "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        TimeSpan? offset = time.Length == 11 ? ParseOffset($"{time[6..9]}:{time[9..]}") : null;
        return new CaptureTime(local, offset, "iptc:DateCreated+TimeCreated");
    }

    /// <summary>GPSDateStamp + GPSTimeStamp: an instant in UTC, so the offset is +00:00.</summary>
    private static CaptureTime? FromGps(GpsDirectory? gps) =>
        GpsUtc(gps) is { } utc ? new CaptureTime(utc, TimeSpan.Zero, "exif:GPSDateTime") : null;

    private static DateTime? GpsUtc(GpsDirectory? gps)
    {
        if (gps is null || ParseLocal(ExifText.Read(gps, GpsDirectory.TagDateStamp) + " 00:00:00") is not { } date
            || gps.GetObject(GpsDirectory.TagTimeStamp) is not Rational[] { Length: 3 } hms || hms.Any(r => r.Denominator == 0))
        {
            return null;
        }

        var seconds = hms[0].ToDouble() * 3600 + hms[1].ToDouble() * 60 + hms[2].ToDouble();
        return seconds is >= 0 and < 86400 ? date.AddTicks((long)(seconds * TimeSpan.TicksPerSecond)) : null;
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

    /// <summary>XMP dates (ISO 8601): "2019-07-04T18:22:05.25+02:00", "2013-07-05T03:18:27Z", "2014-04-04T14:14";
    /// a date without a time of day is no capture time.</summary>
    internal static (DateTime Local, TimeSpan? Offset)? ParseXmp(string? text)
    {
        if (text is null || XmpDate().Match(text.Trim()) is not { Success: true } match)
        {
            return null;
        }

        var seconds = match.Groups["s"].Success ? match.Groups["s"].Value : "00";
        if (!DateTime.TryParseExact($"{match.Groups["date"].Value.Replace(':', '-')} {match.Groups["hm"].Value}:{seconds}",
                "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        if (ParseSubSecond(match.Groups["f"].Value) is { } fraction)
        {
            local += fraction;
        }

        var zone = match.Groups["zone"].Value;
        TimeSpan? offset = zone switch
        {
            "" => null,
            "Z" => TimeSpan.Zero,
            _ => ParseOffset(zone.Length == 5 ? $"{zone[..3]}:{zone[3..]}" : zone),
        };
        return (local, offset);
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

    [GeneratedRegex(@"^(?<date>\d{4}[-:]\d{2}[-:]\d{2})[T ](?<hm>\d{2}:\d{2})(?::(?<s>\d{2})(?:\.(?<f>\d+))?)?(?<zone>Z|[+-]\d{2}:?\d{2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex XmpDate();
}
