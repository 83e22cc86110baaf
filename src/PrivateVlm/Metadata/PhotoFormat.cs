using MetadataExtractor.Util;

namespace PrivateVlm.Metadata;

/// <summary>The container formats L0 reads, recognised from the file's first bytes (never its extension).</summary>
public enum PhotoFormat
{
    Jpeg,
    Heif,
    Png,
    Tiff,
    WebP,
}

internal static class PhotoFormatNames
{
    /// <summary>The name stored in <see cref="PhotoMetadata.Format"/>.</summary>
    public static string Name(this PhotoFormat format) => format switch
    {
        PhotoFormat.Jpeg => "JPEG",
        PhotoFormat.Heif => "HEIF",
        PhotoFormat.Png => "PNG",
        PhotoFormat.Tiff => "TIFF",
        PhotoFormat.WebP => "WebP",
        _ => format.ToString(),
    };

    public static PhotoFormat? FromDetected(FileType detected) => detected switch
    {
        FileType.Jpeg => PhotoFormat.Jpeg,
        FileType.Heif => PhotoFormat.Heif,
        FileType.Png => PhotoFormat.Png,
        FileType.Tiff => PhotoFormat.Tiff,
        FileType.WebP => PhotoFormat.WebP,
        _ => null,
    };
}
