using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using PrivateVlm.Metadata;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Metadata;

/// <summary>One photo as exiftool and the L0 reader see it; <see cref="Sidecar"/> is exiftool's record of its XMP
/// sidecar when it has one.</summary>
public sealed record L0Reading(string Name, JsonElement Exiftool, JsonElement? Sidecar, PhotoMetadata? Metadata, Exception? Failure)
{
    public override string ToString() => Name;
}

/// <summary>
/// Class fixture for <see cref="L0AgreementTests"/>: every photo under ../shared/corpus plus files made here with
/// exiftool and libvips for what the corpus lacks (edited exports whose capture time is only in XMP or IPTC, photo +
/// sidecar pairs under both naming conventions, JPEG XL with and without EXIF). exiftool runs with TZ set to a zone
/// with an offset, and the reader is given the same zone, so a file-time fallback is checked in a zone that is not UTC.
/// </summary>
public sealed class L0AgreementSet : IDisposable
{
    /// <summary>Not UTC, and with summer time: a file time stored as UTC, or with the wrong season's offset, shows.</summary>
    public const string Zone = "America/New_York";

    public static readonly string[] TimeTags =
    [
        "SubSecDateTimeOriginal", "DateTimeOriginal", "SubSecCreateDate", "CreationDate", "CreateDate",
        "SubSecMediaCreateDate", "MediaCreateDate", "DateTimeCreated", "DateCreated", "GPSDateTime", "DateTimeUTC",
        "SonyDateTime2", "SourceImageCreateTime", "ModifyDate", "FileModifyDate",
    ];

    private static readonly string[] Extensions =
        ["jpg", "jpeg", "heic", "heif", "avif", "png", "tif", "tiff", "webp", "jxl", "dng", "cr2", "cr3", "nef", "arw", "raf", "orf", "rw2"];

    private readonly Lazy<IReadOnlyList<L0Reading>> _readings;
    private readonly DirectoryInfo _generated = Directory.CreateTempSubdirectory("privatevlm-l0-agreement-");

    public L0AgreementSet() => _readings = new(ReadAll);

    public static string? MissingTool =>
        !Corpus.IsPresent ? Corpus.AbsentMessage
        : !OnPath("exiftool") ? ExiftoolReference.InstallHint
        : null;

    public IReadOnlyList<L0Reading> All => _readings.Value;

    /// <summary>Notes about files that could not be made here (e.g. libvips without a JPEG XL writer).</summary>
    public List<string> Notes { get; } = [];

    public void Dispose() => _generated.Delete(recursive: true);

    private IReadOnlyList<L0Reading> ReadAll()
    {
        MakeMissingFiles();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        var records = Scan(Corpus.Root).Concat(Scan(_generated.FullName)).ToDictionary(r => r.Path, r => r.Record, StringComparer.Ordinal);
        var reader = new PhotoMetadataReader(new ZoneOnly(zone));
        var all = new List<L0Reading>();
        foreach (var (path, record) in records.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (Path.GetExtension(path).Equals(".xmp", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var sidecar = XmpSidecar.Find(path) is { } sidecarPath && records.TryGetValue(sidecarPath, out var sidecarRecord)
                ? sidecarRecord
                : (JsonElement?)null;
            PhotoMetadata? metadata = null;
            Exception? failure = null;
            try
            {
                metadata = reader.Read(path);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            var name = path.StartsWith(_generated.FullName, StringComparison.Ordinal)
                ? "(made here)/" + Path.GetRelativePath(_generated.FullName, path)
                : Path.GetRelativePath(Corpus.Root, path);
            all.Add(new L0Reading(name, record, sidecar, metadata, failure));
        }

        return all;
    }

    /// <summary>What edited exports and sidecar-writing tools produce, made from corpus photos with exiftool.</summary>
    private void MakeMissingFiles()
    {
        var camera = Corpus.File("exif-samples/jpg/Canon_40D.jpg");
        var plain = Corpus.Files("near-dup/ukbench/base", "*.jpg").First();
        string Made(string name, string source)
        {
            var path = Path.Combine(_generated.FullName, name);
            File.Copy(source, path);
            return path;
        }

        // Lightroom/Photoshop exports: the camera's EXIF times gone, ModifyDate = the export, the capture time in XMP.
        string[] exportedNow = ["-EXIF:DateTimeOriginal=", "-EXIF:CreateDate=", "-EXIF:ModifyDate=2024:03:01 09:00:00"];
        Exiftool(Made("export-xmp-createdate.jpg", camera), [.. exportedNow, "-XMP-xmp:CreateDate=2019:07:04 18:22:05.25+02:00"]);
        Exiftool(Made("export-xmp-datetimeoriginal.jpg", camera), [.. exportedNow, "-XMP-exif:DateTimeOriginal=2016:08:09 10:11:12-07:00"]);
        Exiftool(Made("export-photoshop-datecreated.jpg", camera), [.. exportedNow, "-XMP-photoshop:DateCreated=2017:02:03 04:05:06-05:00"]);
        Exiftool(Made("export-iptc-only.jpg", camera), [.. exportedNow, "-IPTC:DateCreated=2018:05:06", "-IPTC:TimeCreated=07:08:09+05:30"]);
        // A camera that writes no OffsetTime but a GPS (UTC) time: the offset is their difference.
        Exiftool(Made("gps-utc-offset.jpg", camera),
            ["-EXIF:DateTimeOriginal=2020:01:02 21:30:00", "-EXIF:OffsetTimeOriginal=", "-EXIF:GPSDateStamp=2020:01:02", "-EXIF:GPSTimeStamp=12:30:00",
             "-EXIF:GPSLatitude=35.6", "-EXIF:GPSLatitudeRef=N", "-EXIF:GPSLongitude=139.7", "-EXIF:GPSLongitudeRef=E"]);
        // No time anywhere: the file time in the machine's zone, in summer (offset -04:00 in New York).
        var untimed = Made("no-time-summer.jpg", plain);
        File.SetLastWriteTimeUtc(untimed, new DateTime(2021, 7, 1, 16, 0, 0, DateTimeKind.Utc));

        // Sidecars, both conventions: darktable IMG_1234.JPG.xmp, Lightroom/digiKam IMG_1234.xmp. They win over the photo.
        Exiftool(Made("IMG_2001.jpg", camera), ["-EXIF:DateTimeOriginal=2015:05:05 05:05:05"]);
        ExiftoolCreate(Path.Combine(_generated.FullName, "IMG_2001.xmp"),
            ["-XMP-exif:DateTimeOriginal=2015:06:06 16:16:16+01:00", "-XMP-xmp:Rating=4", "-XMP-dc:Subject=harbour", "-XMP-dc:Subject=boats",
             "-XMP-dc:Title=Harbour at dusk", "-XMP-exif:GPSLatitude=54.32", "-XMP-exif:GPSLongitude=-10.13"]);
        Made("IMG_2002.JPG", plain);
        ExiftoolCreate(Path.Combine(_generated.FullName, "IMG_2002.JPG.xmp"),
            ["-XMP-xmp:CreateDate=2014:04:04 14:14:14", "-XMP-dc:Description=Kitchen table", "-XMP-xmp:Rating=2"]);

        // JPEG XL: a bare codestream from libvips (no EXIF), and the ISO BMFF container with EXIF that exiftool writes.
        var jxl = Path.Combine(_generated.FullName, "vips.jxl");
        if (!OnPath("vips") || !Run("vips", ["copy", Corpus.File("exif-samples/jpg/gps/DSCN0010.jpg"), jxl]) || !File.Exists(jxl))
        {
            Notes.Add("no JPEG XL made: libvips (vips) with a JPEG XL writer is not installed");
        }
        else
        {
            var withExif = Path.Combine(_generated.FullName, "container-exif.jxl");
            File.Copy(jxl, withExif);
            Exiftool(withExif, ["-m", "-tagsfromfile", Corpus.File("exif-samples/jpg/gps/DSCN0010.jpg"), "-EXIF:all"]);
        }
    }

    private static void Exiftool(string path, string[] arguments) =>
        Require(Run("exiftool", ["-q", "-q", "-overwrite_original", .. arguments, path]), path);

    private static void ExiftoolCreate(string path, string[] arguments) =>
        Require(Run("exiftool", ["-q", "-q", "-o", path, .. arguments]), path);

    private static void Require(bool succeeded, string path)
    {
        if (!succeeded)
        {
            throw new InvalidOperationException("exiftool could not write " + path);
        }
    }

    private static bool Run(string tool, string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            return false;
        }

        return process.ExitCode == 0;
    }

    /// <summary>exiftool's records, tags by name without a group: the value exiftool itself prefers (EXIF over XMP),
    /// as Immich reads them.</summary>
    private static IEnumerable<(string Path, JsonElement Record)> Scan(string root)
    {
        var start = new ProcessStartInfo("exiftool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["TZ"] = Zone;
        foreach (var argument in (string[])["-json", "-n", "-r", "-charset", "filename=utf8", "-api", "QuickTimeUTC"])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var extension in Extensions.Append("xmp"))
        {
            start.ArgumentList.Add("-ext");
            start.ArgumentList.Add(extension);
        }

        string[] fields =
        [
            "-FileType", "-Error", .. TimeTags.Select(t => "-" + t), "-XMP-photoshop:DateCreated",
            "-OffsetTimeOriginal", "-OffsetTimeDigitized", "-OffsetTime", "-Make", "-Model", "-LensModel", "-Orientation",
            "-ImageWidth", "-ImageHeight", "-GPSLatitude", "-GPSLongitude",
            "-Rating", "-Subject", "-Title", "-Description",
        ];
        foreach (var field in fields)
        {
            start.ArgumentList.Add(field);
        }

        start.ArgumentList.Add(root);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(ExiftoolReference.InstallHint, ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("exiftool did not finish within 120 s over " + root);
            }

            using var document = JsonDocument.Parse(stdout.GetAwaiter().GetResult());
            return document.RootElement.EnumerateArray()
                .Select(r => (Path.GetFullPath(r.GetProperty("SourceFile").GetString()!), r.Clone()))
                .ToList();
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Any(folder => folder.Length > 0 && File.Exists(Path.Combine(folder, tool)));

    private sealed class ZoneOnly(TimeZoneInfo zone) : TimeProvider
    {
        public override TimeZoneInfo LocalTimeZone => zone;
    }
}

/// <summary>A fact that needs the shared corpus and exiftool; skipped, naming what is missing, without them.</summary>
public sealed class ExiftoolCorpusFactAttribute : FactAttribute
{
    public ExiftoolCorpusFactAttribute()
    {
        if (L0AgreementSet.MissingTool is { } missing)
        {
            Skip = missing;
        }
    }
}
