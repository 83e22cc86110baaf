using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Heif;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Png;
using MetadataExtractor.Formats.WebP;

namespace PrivateVlm.Metadata;

/// <summary>
/// The image as stored, before any rotation: pixel size from the format's own header (JPEG SOF, PNG IHDR, TIFF IFD0,
/// HEIF primary item 'ispe', WebP VP8/VP8L/VP8X) and the EXIF orientation that says how to turn it upright.
/// </summary>
internal sealed record StoredImage(int? Width, int? Height, int? Orientation)
{
    public static StoredImage From(PhotoFormat format, IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var (width, height) = format switch
        {
            PhotoFormat.Jpeg => Size<JpegDirectory>(directories, JpegDirectory.TagImageWidth, JpegDirectory.TagImageHeight),
            PhotoFormat.Png => Size<PngDirectory>(directories, PngDirectory.TagImageWidth, PngDirectory.TagImageHeight),
            PhotoFormat.Tiff => Size<ExifIfd0Directory>(directories, ExifDirectoryBase.TagImageWidth, ExifDirectoryBase.TagImageHeight),
            PhotoFormat.Heif or PhotoFormat.Avif => Size<HeicImagePropertiesDirectory>(
                directories, HeicImagePropertiesDirectory.TagImageWidth, HeicImagePropertiesDirectory.TagImageHeight),
            PhotoFormat.WebP => Size<WebPDirectory>(directories, WebPDirectory.TagImageWidth, WebPDirectory.TagImageHeight),
            PhotoFormat.TiffRaw => Largest(directories),
            // The raw data's own size is in maker notes MetadataExtractor does not type; EXIF's pixel dimensions are
            // what the camera states for the developed image, and the embedded preview's size comes after.
            PhotoFormat.Raf or PhotoFormat.Cr3 => Size<ExifSubIfdDirectory>(directories, ExifDirectoryBase.TagExifImageWidth, ExifDirectoryBase.TagExifImageHeight) is { Width: not null } exif
                ? exif
                : Size<JpegDirectory>(directories, JpegDirectory.TagImageWidth, JpegDirectory.TagImageHeight),
            _ => (null, null),
        };

        return new StoredImage(width, height, ReadOrientation(directories));
    }

    private static (int? Width, int? Height) Size<TDirectory>(
        IReadOnlyList<MetadataExtractor.Directory> directories, int widthTag, int heightTag)
        where TDirectory : MetadataExtractor.Directory
    {
        // PNG yields one directory per chunk type; the first one carrying a size is the IHDR.
        foreach (var directory in directories.OfType<TDirectory>())
        {
            if (directory.TryGetInt32(widthTag, out var width) && directory.TryGetInt32(heightTag, out var height))
            {
                return width > 0 && height > 0 ? (width, height) : (null, null);
            }
        }

        return (null, null);
    }

    /// <summary>A TIFF-structured raw keeps a thumbnail in IFD0 and the sensor data and previews in sub-IFDs: the
    /// largest of them is the photo.</summary>
    private static (int? Width, int? Height) Largest(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        (int? Width, int? Height) largest = (null, null);
        foreach (var directory in directories.Where(d => d is ExifIfd0Directory or ExifSubIfdDirectory))
        {
            if (directory.TryGetInt32(ExifDirectoryBase.TagImageWidth, out var width) && directory.TryGetInt32(ExifDirectoryBase.TagImageHeight, out var height)
                && width > 0 && height > 0 && (long)width * height > (long)(largest.Width ?? 0) * (largest.Height ?? 0))
            {
                largest = (width, height);
            }
        }

        return largest;
    }

    /// <summary>Only the eight EXIF values mean something; anything else is treated as absent rather than guessed.</summary>
    private static int? ReadOrientation(IReadOnlyList<MetadataExtractor.Directory> directories) =>
        directories.OfType<ExifIfd0Directory>().FirstOrDefault() is { } ifd0
        && ifd0.TryGetInt32(ExifDirectoryBase.TagOrientation, out var orientation)
        && orientation is >= 1 and <= 8
            ? orientation
            : null;
}
