using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Heif;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Iptc;
using MetadataExtractor.Formats.Photoshop;
using MetadataExtractor.Formats.Png;
using MetadataExtractor.Formats.Raf;
using MetadataExtractor.Formats.Tiff;
using MetadataExtractor.Formats.WebP;
using MetadataExtractor.Formats.Xmp;
using MetadataExtractor.IO;
using MetadataExtractor.Util;
using Microsoft.Extensions.Options;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Metadata;

/// <summary>
/// L0: turns one photo file into a <see cref="PhotoMetadata"/> from its own bytes (MetadataExtractor), without decoding
/// pixels. The file is the problem (empty, not an image, unsupported, truncated or corrupt) means
/// <see cref="PhotoRejectedException"/>; failing to open or read the file at all (gone, no permission, disk error)
/// stays an <see cref="IOException"/> because a retry may succeed. A parse that takes longer than
/// <see cref="MetadataOptions.TimeLimit"/> is abandoned and the file rejected.
/// </summary>
public sealed class PhotoMetadataReader
{
    private const long MaxSidecarBytes = 4 * 1024 * 1024;
    private const int TagDngVersion = 0xC612;

    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _timeLimit;

    public PhotoMetadataReader()
        : this(TimeProvider.System)
    {
    }

    /// <param name="timeProvider">Supplies the local time zone used when a photo has no EXIF time of its own.</param>
    public PhotoMetadataReader(TimeProvider timeProvider)
        : this(timeProvider, Options.Create(new MetadataOptions()))
    {
    }

    public PhotoMetadataReader(TimeProvider timeProvider, IOptions<MetadataOptions> options)
    {
        _timeProvider = timeProvider;
        _timeLimit = options.Value.TimeLimit;
    }

    /// <summary>Parses that passed <see cref="MetadataOptions.TimeLimit"/> and are still running on their own.</summary>
    public static int AbandonedParses => MetadataParseThread.AbandonedRunning;

    public PhotoMetadata Read(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);
        using var stream = new PhotoFileStream(file);
        if (stream.Length == 0)
        {
            throw new PhotoRejectedException("empty file (0 bytes)");
        }

        var head = new byte[(int)Math.Min(64, stream.Length)];
        stream.ReadExactly(head);
        stream.Position = 0;
        var format = Detect(stream, head);
        var sidecarPath = XmpSidecar.Find(path);
        Parsed parsed;
        try
        {
            parsed = MetadataParseThread.Run(
                () =>
                {
                    GuardAgainstParserTraps(stream, format);
                    var photo = ReadDirectories(stream, format);
                    return photo with { Sidecar = sidecarPath is null ? null : ReadSidecar(sidecarPath, photo.Warnings) };
                },
                _timeLimit);
        }
        catch (TimeoutException)
        {
            // Not retried: the same bytes would stall the parser again. Disposing the stream on the way out also makes
            // an abandoned parse that is still reading fail and end sooner.
            throw new PhotoRejectedException(
                $"reading its {format.Name()} metadata took longer than the limit Metadata:TimeLimit = " +
                $"{_timeLimit.TotalSeconds:0.###} s; abandoned (a photo's metadata takes milliseconds)");
        }

        var (directories, warnings) = (parsed.Directories, parsed.Warnings);
        var image = parsed.Size is { } size ? StoredImage.From(format, directories) with { Width = size.Width, Height = size.Height }
            : StoredImage.From(format, directories);
        if (image.Width is null || image.Height is null)
        {
            // Every supported format states its pixel size in a header ahead of the pixels; without it there is no
            // image a later tier could decode, so there is nothing worth keeping metadata for either.
            throw new PhotoRejectedException(
                $"truncated or corrupt {format.Name()}: no image size found in its header" + Causes(warnings));
        }

        var xmp = XmpFacts.From(directories);
        var sidecar = parsed.Sidecar ?? XmpFacts.None;

        // The modification time of the bytes just parsed, from the open file: by name it would be another file's once
        // a sync client renamed new bytes over this one, and 1601-01-01 once the file was deleted mid-parse.
        var time = CaptureTime.FromSidecar(sidecar)
            ?? CaptureTime.FromPhoto(directories, xmp)
            ?? (parsed.PreExif is { TakenAt: { } preExifTime } preExif ? new CaptureTime(preExifTime, null, preExif.Source) : null)
            ?? CaptureTime.FromModifyDate(directories)
            ?? CaptureTime.FromFileModified(File.GetLastWriteTimeUtc(file.SafeFileHandle), _timeProvider.LocalTimeZone);
        var camera = CameraSettings.FromExif(directories);
        var gps = sidecar.HasPosition ? new GpsPosition(sidecar.Latitude, sidecar.Longitude, null) : GpsPosition.FromExif(directories);
        if (gps.Latitude is null && xmp.HasPosition)
        {
            gps = new GpsPosition(xmp.Latitude, xmp.Longitude, null);
        }

        return new PhotoMetadata
        {
            Format = parsed.FormatName ?? format.Name(),
            TakenAtLocal = time.Local,
            TakenAtOffset = time.Offset,
            TakenAtSource = time.Source,
            Make = sidecar.Make ?? camera.Make ?? xmp.Make ?? parsed.PreExif?.Make,
            Model = sidecar.Model ?? camera.Model ?? xmp.Model ?? parsed.PreExif?.Model,
            Lens = sidecar.Lens ?? camera.Lens ?? xmp.Lens,
            FocalLengthMm = camera.FocalLengthMm,
            FNumber = camera.FNumber,
            ExposureSeconds = camera.ExposureSeconds,
            Iso = camera.Iso,
            Width = image.Width,
            Height = image.Height,
            Orientation = image.Orientation ?? xmp.Orientation,
            Latitude = gps.Latitude,
            Longitude = gps.Longitude,
            AltitudeMeters = gps.AltitudeMeters,
            Rating = sidecar.Rating ?? xmp.Rating,
            Keywords = sidecar.Keywords.Count > 0 ? sidecar.Keywords : xmp.Keywords,
            Title = sidecar.Title ?? xmp.Title,
            Description = sidecar.Description ?? xmp.Description,
            SidecarPath = parsed.Sidecar is null ? null : sidecarPath,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// The sidecar's XMP. A sidecar that cannot be read (gone, too large, not XMP, nested like an attack) leaves the
    /// photo's own values in place with a warning: the photo itself is fine.
    /// </summary>
    private static XmpFacts? ReadSidecar(string sidecarPath, List<string> warnings)
    {
        try
        {
            var info = new FileInfo(sidecarPath);
            if (info.Length > MaxSidecarBytes)
            {
                warnings.Add($"XMP sidecar {info.Name} is {info.Length / 1e6:F1} MB (an XMP sidecar is kilobytes); not read");
                return null;
            }

            var bytes = File.ReadAllBytes(sidecarPath);
            var depth = XmpNesting.Depth(bytes);
            if (depth > XmpNesting.MaxDepth)
            {
                warnings.Add($"XMP sidecar {info.Name} nests {depth} elements deep; not read (real XMP nests about 10)");
                return null;
            }

            var directory = new XmpReader().Extract(bytes);
            if (directory.XmpMeta is not { } meta)
            {
                warnings.Add($"XMP sidecar {info.Name} is not XMP: " + string.Join("; ", directory.Errors));
                return null;
            }

            return XmpFacts.From(meta);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException || IsAboutTheBytes(ex))
        {
            warnings.Add($"XMP sidecar {Path.GetFileName(sidecarPath)} could not be read: {ex.Message}");
            return null;
        }
    }

    private static PhotoFormat Detect(Stream stream, ReadOnlySpan<byte> head)
    {
        if (PhotoFormatDetection.FromLeadingBytes(head) is { } own)
        {
            return own;
        }

        FileType detected;
        try
        {
            detected = FileTypeDetector.DetectFileType(stream);
        }
        catch (Exception ex) when (IsAboutTheBytes(ex))
        {
            throw new PhotoRejectedException("not a photo: file format could not be determined", ex);
        }

        stream.Position = 0;
        if (detected == FileType.QuickTime && IsAvif(stream))
        {
            // MetadataExtractor names every ISO base media file it does not know "QuickTime"; an AVIF photo is a
            // HEIF container (AV1 instead of HEVC) and its EXIF reads the same way.
            return PhotoFormat.Heif;
        }

        return detected switch
        {
            FileType.Unknown => throw new PhotoRejectedException("not a photo: file format could not be determined"),
            _ when PhotoFormatNames.FromDetected(detected) is { } format => format,
            _ => throw new PhotoRejectedException(
                $"unsupported format: {detected} (L0 reads JPEG, HEIF/HEIC/AVIF, PNG, TIFF, WebP, JPEG XL, DNG and camera raw)"),
        };
    }

    /// <summary>An ISO base media file whose ftyp box names the AVIF brand ("avif" still, "avis" sequence).</summary>
    private static bool IsAvif(Stream stream)
    {
        Span<byte> head = stackalloc byte[12];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        return read == 12 && head[4..8].SequenceEqual("ftyp"u8) && (head[8..].SequenceEqual("avif"u8) || head[8..].SequenceEqual("avis"u8));
    }

    private static void GuardAgainstParserTraps(Stream stream, PhotoFormat format)
    {
        try
        {
            MetadataParserGuard.Check(stream, format);
        }
        catch (Exception ex) when (ex is not PhotoRejectedException && IsAboutTheBytes(ex))
        {
            throw new PhotoRejectedException($"truncated or corrupt {format.Name()}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// MetadataExtractor keeps going past a bad tag or sub-directory and records the problem on the directory instead
    /// of throwing. Those photos are kept: every field taken from the directories is validated on its own (dates
    /// parsed strictly, rationals with a zero denominator dropped, orientation 1..8 only), so one bad maker note or
    /// XMP packet does not make the camera's time or GPS wrong. The recorded problems travel with the result as
    /// warnings. Only an exception from the library itself, which means the container is unreadable, rejects.
    /// </summary>
    private static Parsed ReadDirectories(Stream stream, PhotoFormat format)
    {
        var warnings = new List<string>();
        IReadOnlyList<MetadataExtractor.Directory> directories;
        (int Width, int Height)? size = null;
        string? name = null;
        PreExifCamera? legacy = null;
        try
        {
            switch (format)
            {
                case PhotoFormat.Jpeg:
                    // The frame header, EXIF, XMP (edited exports keep their capture time there) and Photoshop's
                    // resources for IPTC; not ICC, JFIF or Adobe segments, which hold nothing L0 stores.
                    var preExif = new PreExifCameraSegments();
                    directories = JpegMetadataReader.ReadMetadata(stream, [new JpegReader(), new ExifReader(), new XmpReader(), new PhotoshopReader(), preExif]);
                    legacy = preExif.Found;
                    break;
                case PhotoFormat.Png:
                    directories = PngMetadataReader.ReadMetadata(stream);
                    break;
                case PhotoFormat.Tiff:
                    directories = TiffMetadataReader.ReadMetadata(stream);
                    break;
                case PhotoFormat.TiffRaw:
                    directories = TiffMetadataReader.ReadMetadata(stream);
                    var head = new byte[16];
                    stream.Position = 0;
                    stream.ReadExactly(head);
                    var isDng = directories.OfType<ExifIfd0Directory>().Any(d => d.ContainsTag(TagDngVersion));
                    name = PhotoFormatDetection.RawName(head, isDng, (stream as PhotoFileStream)?.Name ?? "");
                    break;
                case PhotoFormat.WebP:
                    directories = WebPMetadataReader.ReadMetadata(stream);
                    break;
                case PhotoFormat.Heif or PhotoFormat.Avif:
                    directories = ReadHeif(stream, warnings);
                    break;
                case PhotoFormat.Raf:
                    directories = RafMetadataReader.ReadMetadata(stream);
                    break;
                case PhotoFormat.Cr3:
                    directories = Cr3Boxes.Read(stream);
                    break;
                case PhotoFormat.JpegXl:
                    var content = JpegXlReader.Read(stream);
                    var found = new List<MetadataExtractor.Directory>();
                    if (content.ExifTiff is { } tiff)
                    {
                        found.AddRange(new ExifReader().Extract(new ByteArrayReader(tiff)));
                    }

                    if (content.Xmp is { } xmp)
                    {
                        found.Add(new XmpReader().Extract(xmp));
                    }

                    directories = found;
                    size = (content.Width, content.Height);
                    break;
                default:
                    throw new InvalidOperationException($"no reader for {format}");
            }
        }
        catch (Exception ex) when (IsAboutTheBytes(ex))
        {
            throw new PhotoRejectedException($"truncated or corrupt {format.Name()}: {ex.Message}", ex);
        }

        // Only problems in the directories L0 takes fields from: every iPhone photo, for one, carries Apple maker-note
        // entries MetadataExtractor cannot type, and reporting those on each photo would bury the warnings that matter.
        foreach (var directory in directories.Where(FeedsTheRecord))
        {
            warnings.AddRange(directory.Errors.Select(error => $"{directory.Name}: {error}"));
        }

        return new Parsed(directories, warnings, size, name, null) { PreExif = legacy };
    }

    /// <summary>What one parse found: the library's directories, the problems stepped over, a pixel size read outside
    /// the library (JPEG XL), the raw flavour's name, and the sidecar's XMP.</summary>
    private sealed record Parsed(
        IReadOnlyList<MetadataExtractor.Directory> Directories, List<string> Warnings, (int Width, int Height)? Size, string? FormatName, XmpFacts? Sidecar)
    {
        /// <summary>A late-1990s camera's CIFF or picture-info block, in a JPEG without EXIF.</summary>
        public PreExifCamera? PreExif { get; init; }
    }

    private static bool FeedsTheRecord(MetadataExtractor.Directory directory) => directory
        is ExifIfd0Directory or ExifSubIfdDirectory or GpsDirectory or JpegDirectory or PngDirectory or WebPDirectory
        or HeicImagePropertiesDirectory or XmpDirectory or IptcDirectory or ErrorDirectory;

    private static IReadOnlyList<MetadataExtractor.Directory> ReadHeif(Stream stream, List<string> warnings)
    {
        try
        {
            return HeifMetadataReader.ReadMetadata(stream);
        }
        catch (Exception libraryFailure) when (IsAboutTheBytes(libraryFailure))
        {
            // See HeifItemReader: MetadataExtractor 2.4.3 throws on some real phone HEIFs; read the two things L0
            // needs from the item boxes directly. If that fails too the file really is unreadable.
            HeifItems items;
            try
            {
                items = HeifItemReader.Read(stream);
            }
            catch (Exception ownFailure) when (IsAboutTheBytes(ownFailure))
            {
                throw new PhotoRejectedException(
                    $"truncated or corrupt HEIF: {ownFailure.Message} (MetadataExtractor: {libraryFailure.Message})",
                    new AggregateException(libraryFailure, ownFailure));
            }

            warnings.Add($"HEIF: MetadataExtractor could not read the item properties ({libraryFailure.Message}); " +
                         "size and EXIF were read from the HEIF boxes directly");

            var directories = new List<MetadataExtractor.Directory>();
            if (items.Width is { } width && items.Height is { } height)
            {
                var size = new HeicImagePropertiesDirectory("HEIC Primary Item Properties");
                size.Set(HeicImagePropertiesDirectory.TagImageWidth, width);
                size.Set(HeicImagePropertiesDirectory.TagImageHeight, height);
                directories.Add(size);
            }

            if (items.ExifTiff is { } tiff)
            {
                directories.AddRange(new ExifReader().Extract(new ByteArrayReader(tiff)));
            }

            return directories;
        }
    }

    /// <summary>
    /// Whatever the parser throws while reading a hostile file (its own exceptions, including plain IOExceptions for
    /// data that ends early, reads past the end, bad casts, overflow, allocation failures from absurd lengths) is a fact
    /// about the file. The disk failing (<see cref="PhotoFileReadException"/>) is not, and neither is cancellation:
    /// those propagate so the job is retried.
    /// </summary>
    private static bool IsAboutTheBytes(Exception ex) => ex is not (OperationCanceledException or PhotoFileReadException);

    private static string Causes(IReadOnlyList<string> warnings) =>
        warnings.Count == 0 ? "" : " (" + string.Join("; ", warnings.Take(3)) + ")";
}
