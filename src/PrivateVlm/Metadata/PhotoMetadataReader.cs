using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Heif;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Png;
using MetadataExtractor.Formats.Tiff;
using MetadataExtractor.Formats.WebP;
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
    private readonly TimeProvider timeProvider;
    private readonly TimeSpan timeLimit;

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
        this.timeProvider = timeProvider;
        timeLimit = options.Value.TimeLimit;
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

        var format = Detect(stream);
        IReadOnlyList<MetadataExtractor.Directory> directories;
        IReadOnlyList<string> warnings;
        try
        {
            (directories, warnings) = MetadataParseThread.Run(
                () =>
                {
                    GuardAgainstParserTraps(stream, format);
                    return ReadDirectories(stream, format);
                },
                timeLimit);
        }
        catch (TimeoutException)
        {
            // Not retried: the same bytes would stall the parser again. Disposing the stream on the way out also makes
            // an abandoned parse that is still reading fail and end sooner.
            throw new PhotoRejectedException(
                $"reading its {format.Name()} metadata took longer than the limit Metadata:TimeLimit = " +
                $"{timeLimit.TotalSeconds:0.###} s; abandoned (a photo's metadata takes milliseconds)");
        }

        var image = StoredImage.From(format, directories);
        if (image.Width is null || image.Height is null)
        {
            // Every supported format states its pixel size in a header ahead of the pixels; without it there is no
            // image a later tier could decode, so there is nothing worth keeping metadata for either.
            throw new PhotoRejectedException(
                $"truncated or corrupt {format.Name()}: no image size found in its header" + Causes(warnings));
        }

        // The modification time of the bytes just parsed, from the open file: by name it would be another file's once
        // a sync client renamed new bytes over this one, and 1601-01-01 once the file was deleted mid-parse.
        var time = CaptureTime.FromExif(directories)
            ?? CaptureTime.FromFileModified(File.GetLastWriteTimeUtc(file.SafeFileHandle), timeProvider.LocalTimeZone);
        var camera = CameraSettings.FromExif(directories);
        var gps = GpsPosition.FromExif(directories);

        return new PhotoMetadata
        {
            Format = format.Name(),
            TakenAtLocal = time.Local,
            TakenAtOffset = time.Offset,
            TakenAtSource = time.Source,
            Make = camera.Make,
            Model = camera.Model,
            Lens = camera.Lens,
            FocalLengthMm = camera.FocalLengthMm,
            FNumber = camera.FNumber,
            ExposureSeconds = camera.ExposureSeconds,
            Iso = camera.Iso,
            Width = image.Width,
            Height = image.Height,
            Orientation = image.Orientation,
            Latitude = gps.Latitude,
            Longitude = gps.Longitude,
            AltitudeMeters = gps.AltitudeMeters,
            Warnings = warnings,
        };
    }

    private static PhotoFormat Detect(Stream stream)
    {
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
                $"unsupported format: {detected} (L0 reads JPEG, HEIF/HEIC/AVIF, PNG, TIFF and WebP)"),
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
    private static (IReadOnlyList<MetadataExtractor.Directory> Directories, IReadOnlyList<string> Warnings) ReadDirectories(
        Stream stream, PhotoFormat format)
    {
        var warnings = new List<string>();
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            directories = format switch
            {
                // Only the frame header and EXIF: L0 uses nothing from XMP, IPTC, Photoshop or ICC segments, and not
                // parsing them keeps their parsers' worst cases (see XmpNesting) out of the most common format.
                PhotoFormat.Jpeg => JpegMetadataReader.ReadMetadata(stream, [new JpegReader(), new ExifReader()]),
                PhotoFormat.Png => PngMetadataReader.ReadMetadata(stream),
                PhotoFormat.Tiff => TiffMetadataReader.ReadMetadata(stream),
                PhotoFormat.WebP => WebPMetadataReader.ReadMetadata(stream),
                PhotoFormat.Heif => ReadHeif(stream, warnings),
                _ => throw new InvalidOperationException($"no reader for {format}"),
            };
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

        return (directories, warnings);
    }

    private static bool FeedsTheRecord(MetadataExtractor.Directory directory) => directory
        is ExifIfd0Directory or ExifSubIfdDirectory or GpsDirectory or JpegDirectory or PngDirectory or WebPDirectory
        or HeicImagePropertiesDirectory or ErrorDirectory;

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
