using System.Globalization;

namespace PrivateVlm.Tests.Clustering;

/// <summary>
/// Copies of real photos as a camera would have written them: converted to JPEG by libvips (`vipsthumbnail`) and
/// given a capture time, its UTC offset and a camera by exiftool, so the daemon reads all of it from the file.
/// Both tools are installed here and in CI (.ci/run).
/// </summary>
internal sealed class StampedFrames : IDisposable
{
    public const string Make = "Potato Lab";
    public const string Model = "Frame Cam";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "privatevlm-stamped-" + Guid.NewGuid().ToString("N")[..10]);

    private StampedFrames(IReadOnlyList<string> files) => Files = files;

    /// <summary>The stamped JPEGs, in the order of the sources.</summary>
    public IReadOnlyList<string> Files { get; private set; }

    /// <summary>Writes a JPEG copy of each source with DateTimeOriginal = <paramref name="takenAt"/>[i] (camera wall
    /// clock) and OffsetTimeOriginal = <paramref name="offset"/>.</summary>
    public static async Task<StampedFrames> CreateAsync(IReadOnlyList<string> sources, IReadOnlyList<DateTime> takenAt, string offset = "+01:00")
    {
        Assert.Equal(sources.Count, takenAt.Count);
        var frames = new StampedFrames([]);
        Directory.CreateDirectory(frames._folder);
        // One vipsthumbnail call for all frames; the size is larger than any source, so nothing is resized.
        await Tool.RunAsync("vipsthumbnail", ["--size", "4096x4096>", "-o", Path.Combine(frames._folder, "%s.jpg[Q=92]"), .. sources]);
        var files = sources.Select(s => Path.Combine(frames._folder, Path.GetFileNameWithoutExtension(s) + ".jpg")).ToList();
        Assert.All(files, f => Assert.True(File.Exists(f), $"vipsthumbnail wrote no {f}"));

        // One exiftool process for all files (an argument file with -execute between them): perl starts once.
        var arguments = new List<string>();
        for (var i = 0; i < files.Count; i++)
        {
            arguments.AddRange([
                "-overwrite_original",
                "-DateTimeOriginal=" + takenAt[i].ToString("yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture),
                "-OffsetTimeOriginal=" + offset,
                "-Make=" + Make,
                "-Model=" + Model,
                files[i],
                "-execute",
            ]);
        }

        var argumentFile = Path.Combine(frames._folder, "exiftool.args");
        await File.WriteAllLinesAsync(argumentFile, arguments);
        await Tool.RunAsync("exiftool", "-@", argumentFile);
        frames.Files = files;
        return frames;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
