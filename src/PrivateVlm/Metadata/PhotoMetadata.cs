namespace PrivateVlm.Metadata;

/// <summary>L0 facts about one photo, as read from its own bytes (EXIF, HEIF/PNG/TIFF/WebP containers).</summary>
public sealed record PhotoMetadata
{
    /// <summary>"JPEG", "HEIF", "PNG", "TIFF", "WebP" (as detected from content, not the extension).</summary>
    public string? Format { get; init; }

    /// <summary>Wall-clock capture time as the camera recorded it (no zone applied), including the SubSecTime*
    /// fraction of a second when the file has one.</summary>
    public DateTime? TakenAtLocal { get; init; }

    /// <summary>UTC offset of <see cref="TakenAtLocal"/> when the file says it (EXIF OffsetTimeOriginal and friends).</summary>
    public TimeSpan? TakenAtOffset { get; init; }

    /// <summary>Where the time came from: "exif:DateTimeOriginal", "exif:DateTimeDigitized", "exif:DateTime",
    /// "file:mtime" (fallback, then <see cref="TakenAtOffset"/> is the machine's offset at that instant).</summary>
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
