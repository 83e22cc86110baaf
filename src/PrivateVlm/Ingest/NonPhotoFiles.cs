using MetadataExtractor.Util;
using PrivateVlm.Metadata;

namespace PrivateVlm.Ingest;

/// <summary>What kind of file a path holds, for the ingest: a photo, an XMP sidecar, or something else.</summary>
public enum FolderFileKind
{
    Photo,
    Sidecar,
    Ignored,
}

/// <summary>A file that is not a photo and why; <see cref="StillPath"/> when it is a Live Photo's video.</summary>
public sealed record FolderFileVerdict(FolderFileKind Kind, string? Reason = null, string? StillPath = null);

/// <summary>
/// Tells photos from the other files people keep beside them (notes, JSON exports, videos, a Live Photo's .MOV, XMP
/// sidecars) without hashing them. A file with a photo's extension is always treated as a photo, so a broken photo
/// is still reported as a failure. Any other file is a photo only when its first bytes are an image's; otherwise it is
/// ignored with the reason, once, and never becomes a photo row or a job.
/// </summary>
public static class NonPhotoFiles
{
    private static readonly HashSet<string> PhotoExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".heic", ".heif", ".hif", ".avif", ".png", ".tif", ".tiff", ".webp", ".jxl",
        ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".sr2", ".srf", ".raf", ".orf", ".rw2", ".pef", ".erf",
        ".3fr", ".iiq", ".rwl", ".mos", ".kdc", ".dcr", ".x3f", ".gif", ".bmp",
    };

    private static readonly HashSet<string> VideoExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".mov", ".mp4", ".m4v", ".avi", ".mkv", ".3gp", ".mts", ".m2ts", ".webm", ".wmv", ".mpg", ".mpeg",
    };

    /// <summary>Live Photo stills: the video is linked to the still of the same name beside it.</summary>
    private static readonly string[] StillExtensions = [".HEIC", ".heic", ".JPG", ".jpg", ".JPEG", ".jpeg"];

    public static FolderFileVerdict Classify(string path)
    {
        var extension = Path.GetExtension(path);
        if (XmpSidecar.IsSidecarName(path))
        {
            return new FolderFileVerdict(FolderFileKind.Sidecar);
        }

        if (PhotoExtensions.Contains(extension))
        {
            return new FolderFileVerdict(FolderFileKind.Photo);
        }

        var content = Sniff(path);
        if (content is "image")
        {
            return new FolderFileVerdict(FolderFileKind.Photo);
        }

        var described = extension.Length > 0 ? $"{content} ({extension})" : content;
        if (VideoExtensions.Contains(extension) || content.EndsWith("video", StringComparison.Ordinal))
        {
            if (LivePhotoStill(path) is { } still)
            {
                return new FolderFileVerdict(FolderFileKind.Ignored, $"Live Photo video of {Path.GetFileName(still)}; not a photo, not read", still);
            }
        }

        return new FolderFileVerdict(FolderFileKind.Ignored, $"not a photo: {described}; not read");
    }

    /// <summary>The stills a Live Photo video beside <paramref name="photoPath"/> would have, to link a video that
    /// was recorded before its still.</summary>
    public static IEnumerable<string> LivePhotoVideoCandidates(string photoPath)
    {
        var stem = Path.Combine(Path.GetDirectoryName(photoPath) ?? "", Path.GetFileNameWithoutExtension(photoPath));
        return [stem + ".MOV", stem + ".mov"];
    }

    private static string? LivePhotoStill(string videoPath)
    {
        var stem = Path.Combine(Path.GetDirectoryName(videoPath) ?? "", Path.GetFileNameWithoutExtension(videoPath));
        return StillExtensions.Select(e => stem + e).FirstOrDefault(File.Exists);
    }

    /// <summary>What the first bytes say: "image", a kind of video or audio, or just "a file that is not an image".</summary>
    private static string Sniff(string path)
    {
        var head = new byte[64];
        int read;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (read == 0)
            {
                return "an empty file";
            }

            if (PhotoFormatDetection.FromLeadingBytes(head.AsSpan(0, read)) is not null)
            {
                return "image";
            }

            stream.Position = 0;
            return FileTypeDetector.DetectFileType(stream) switch
            {
                FileType.Jpeg or FileType.Png or FileType.Tiff or FileType.WebP or FileType.Heif or FileType.Cr2 or FileType.Crx
                    or FileType.Nef or FileType.Arw or FileType.Orf or FileType.Rw2 or FileType.Raf or FileType.Gif or FileType.Bmp => "image",
                FileType.QuickTime => "QuickTime video",
                FileType.Mp4 => "MP4 video",
                FileType.Avi => "AVI video",
                FileType.Mp3 or FileType.Wav => "audio",
                _ => "a file that is not an image",
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable now: say what the name says; the photo path would report the read error, this one is not a photo.
            return "a file that is not an image";
        }
    }
}
