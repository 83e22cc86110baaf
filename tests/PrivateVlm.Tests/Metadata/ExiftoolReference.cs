using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace PrivateVlm.Tests.Metadata;

/// <summary>
/// exiftool's view of a folder, from one `exiftool -json -n -r` run: the independent reference the L0 reader is
/// checked against. Tags are asked for by EXIF group where the reader reads EXIF, so an XMP CreateDate or a
/// QuickTime date never stands in for a missing EXIF one. Make and Model are asked without a group: the reader also
/// takes them from XMP and pre-EXIF camera blocks, as exiftool does. Image size is asked without a group: it is whatever
/// exiftool reports as ImageWidth/ImageHeight for that file type (JPEG SOF, PNG IHDR, TIFF IFD0, HEIF ispe).
/// </summary>
public sealed class ExiftoolReference
{
    public const string InstallHint =
        "exiftool is not on PATH: the metadata agreement tests need it as their reference. Install it " +
        "(Debian/Ubuntu: apt-get install libimage-exiftool-perl; macOS: brew install exiftool) and run the tests again.";

    private static readonly string[] Tags =
    [
        "-FileType", "-Error",
        "-EXIF:DateTimeOriginal", "-EXIF:CreateDate", "-EXIF:ModifyDate",
        "-EXIF:OffsetTimeOriginal", "-EXIF:OffsetTimeDigitized", "-EXIF:OffsetTime",
        "-EXIF:SubSecTimeOriginal", "-EXIF:SubSecTimeDigitized", "-EXIF:SubSecTime",
        "-Make", "-Model", "-EXIF:Orientation", "-ImageWidth", "-ImageHeight",
        "-EXIF:GPSLatitude", "-EXIF:GPSLatitudeRef", "-EXIF:GPSLongitude", "-EXIF:GPSLongitudeRef",
        "-EXIF:GPSAltitude", "-EXIF:GPSAltitudeRef",
        "-EXIF:FNumber", "-EXIF:ExposureTime", "-EXIF:ISO", "-EXIF:FocalLength", "-EXIF:LensModel",
    ];

    private static readonly string[] PhotoExtensions = ["jpg", "jpeg", "heic", "heif", "png", "tif", "tiff", "webp"];

    private ExiftoolReference(IReadOnlyDictionary<string, JsonElement> byPath) => ByPath = byPath;

    /// <summary>Absolute path to exiftool's record for that file.</summary>
    public IReadOnlyDictionary<string, JsonElement> ByPath { get; }

    /// <summary>Runs exiftool once over <paramref name="root"/> (recursively, photo extensions only).</summary>
    public static ExiftoolReference Scan(string root)
    {
        var start = new ProcessStartInfo("exiftool")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-json", "-n", "-r", "-charset", "filename=utf8"])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var extension in PhotoExtensions)
        {
            start.ArgumentList.Add("-ext");
            start.ArgumentList.Add(extension);
        }

        foreach (var tag in Tags)
        {
            start.ArgumentList.Add(tag);
        }

        start.ArgumentList.Add(root);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException(InstallHint);
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(InstallHint, ex);
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("exiftool did not finish within 60 s over " + root);
            }

            // exiftool exits 1 when some file had an error (the corpus holds corrupt files on purpose); the JSON
            // still has a record for every file.
            using var document = JsonDocument.Parse(stdout.GetAwaiter().GetResult());
            _ = stderr.GetAwaiter().GetResult();
            var byPath = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var record in document.RootElement.EnumerateArray())
            {
                byPath[Path.GetFullPath(record.GetProperty("SourceFile").GetString()!)] = record.Clone();
            }

            return new ExiftoolReference(byPath);
        }
    }
}

/// <summary>Typed reads of one exiftool JSON record.</summary>
internal static class ExiftoolRecord
{
    public static string? Text(this JsonElement record, string tag) =>
        record.TryGetProperty(tag, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;

    public static double? Number(this JsonElement record, string tag) =>
        record.TryGetProperty(tag, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    /// <summary>
    /// exiftool with -n prints sub-second digits as a JSON number when they have no leading zero (641) and as a
    /// string when they do ("054"); either way the digits are the decimal fraction of a second.
    /// </summary>
    public static string? Digits(this JsonElement record, string tag) =>
        record.Text(tag) is { } text && text.Length > 0 && text.All(char.IsAsciiDigit) ? text : null;
}
