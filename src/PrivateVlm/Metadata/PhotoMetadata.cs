namespace PrivateVlm.Metadata;

/// <summary>L0 facts about one photo, as read from its own bytes (EXIF, HEIF/PNG/TIFF/WebP containers).</summary>
public sealed record PhotoMetadata
{
    /// <summary>"JPEG", "HEIF", "AVIF", "PNG", "TIFF", "WebP", "JPEG XL", "CR3", "RAF", or a TIFF-structured raw's
    /// name ("DNG", "CR2", "ORF", "RW2" from content; "NEF", "ARW"... from the extension of a TIFF-structured file).</summary>
    public string? Format { get; init; }

    /// <summary>Wall-clock capture time as the camera recorded it (no zone applied), including the SubSecTime*
    /// fraction of a second when the file has one.</summary>
    public DateTime? TakenAtLocal { get; init; }

    /// <summary>UTC offset of <see cref="TakenAtLocal"/> when the file says it (EXIF OffsetTimeOriginal and friends).</summary>
    public TimeSpan? TakenAtOffset { get; init; }

    /// <summary>The tag the time came from, group first: "exif:DateTimeOriginal", "xmp:exif:DateTimeOriginal",
    /// "makernote:...", "exif:DateTimeDigitized", "xmp:xmp:CreateDate", "iptc:DateCreated+TimeCreated",
    /// "xmp:photoshop:DateCreated", "exif:GPSDateTime", "exif:DateTime" (ModifyDate, the last edit: last resort),
    /// "file:mtime" (then <see cref="TakenAtOffset"/> is the machine's offset at that instant); "sidecar:" in front
    /// when the photo's XMP sidecar gave it.</summary>
    public string? TakenAtSource { get; init; }

    public string? Make { get; init; }
    public string? Model { get; init; }
    public string? Lens { get; init; }
    public double? FocalLengthMm { get; init; }
    public double? FNumber { get; init; }
    public double? ExposureSeconds { get; init; }
    public int? Iso { get; init; }
    /// <summary>Pixel size as stored, before any rotation (JPEG SOF, PNG IHDR, TIFF IFD0, HEIF primary item 'ispe',
    /// WebP canvas): what exiftool reports as ImageWidth/ImageHeight.</summary>
    public int? Width { get; init; }

    public int? Height { get; init; }

    /// <summary>EXIF orientation 1..8 as stored; pixels are not rotated at L0.</summary>
    public int? Orientation { get; init; }

    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public double? AltitudeMeters { get; init; }

    /// <summary>XMP rating: 1..5 stars, 0 unrated, -1 rejected (Lightroom, darktable, digiKam all write xmp:Rating).</summary>
    public int? Rating { get; init; }

    /// <summary>dc:subject keywords, in the order written, without duplicates.</summary>
    public IReadOnlyList<string> Keywords { get; init; } = [];

    /// <summary>dc:title (its default language).</summary>
    public string? Title { get; init; }

    /// <summary>dc:description (its default language).</summary>
    public string? Description { get; init; }

    /// <summary>The XMP sidecar that was read with the photo (IMG_1234.JPG.xmp or IMG_1234.xmp), when there is one;
    /// its values win over the photo's own.</summary>
    public string? SidecarPath { get; init; }

    /// <summary>Problems the reader stepped over while still returning this record (a bad maker note, an unreadable
    /// XMP packet, a HEIF the library could not parse and that was read directly): the fields above are the ones that
    /// could be read and checked.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Capture instant in UTC when the offset is known.</summary>
    public DateTimeOffset? TakenAt =>
        TakenAtLocal is { } local && TakenAtOffset is { } offset
            ? new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset)
            : null;
}
