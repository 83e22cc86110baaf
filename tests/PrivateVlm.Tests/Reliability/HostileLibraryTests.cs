using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// Issue #8, hostile files, end to end: the whole list dropped at once into the folder of the real `privatevlm run`
/// process (so a crash or a hang would show), next to good photos. Each file must end in exactly one row with a status
/// a user can act on, the good photos must be complete and right, and the daemon must still be up and stop cleanly.
/// </summary>
[Collection(nameof(HostileLibraryTests))]
public sealed class HostileLibraryTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(120);

    private TempLibrary _library = new();
    private ReliabilityRow? _row;

    /// <summary>Soak: PRIVATEVLM_SOAK_HOSTILE_RUNS=20 repeats the whole drop, each time with a new daemon and library.</summary>
    [CorpusFact]
    public async Task Every_hostile_file_ends_with_one_clear_status_while_good_photos_are_fully_processed()
    {
        var runs = int.TryParse(Environment.GetEnvironmentVariable("PRIVATEVLM_SOAK_HOSTILE_RUNS"), out var soak) && soak > 1 ? soak : 1;
        for (var run = 0; run < runs; run++)
        {
            if (run > 0)
            {
                Dispose();
                _library = new TempLibrary();
            }

            await DropTheHostileLibraryAsync();
        }

        _row!.Report(output);
        foreach (var row in _library.Query<(string Path, string Status, string? Error)>("SELECT path, status, error FROM file_status ORDER BY path"))
        {
            output.WriteLine($"{Path.GetRelativePath(_library.Inbox, row.Path).Replace("\n", "\\n", StringComparison.Ordinal)}: {row.Status} {row.Error}");
        }
    }

    /// <summary>One run, added to the scenario's row of the reliability table: the good photos must come out whole,
    /// and the time to recover is how long the daemon took to settle every file of the drop.</summary>
    private async Task DropTheHostileLibraryAsync()
    {
        using var daemon = DaemonProcess.StartUnder(HostileLibrary.DaemonLauncher, _library);
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM schema_migrations") > 0, "the daemon created its database",
            TimeSpan.FromSeconds(30), () => daemon.Output);

        var clock = Stopwatch.StartNew();
        var files = HostileLibrary.Build(_library);
        await Eventually.AssertAsync(
            () => Drained(files),
            "every file recorded and no job queued or running", Drain, () => Dump() + daemon.Output);
        var drained = clock.Elapsed;

        Assert.False(daemon.HasExited, "the daemon died: " + daemon.Output);
        var problems = files.SelectMany(Check).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + Dump());

        // Exactly one row per path, none for anything that was not dropped (the directory loop is never descended,
        // the link target outside the folder never read).
        Assert.Equal(files.Count, _library.Scalar<long>("SELECT count(*) FROM files"));
        var outside = Path.Combine(_library.Root, "outside.jpg");
        Assert.Empty(_library.Query<string>("SELECT path FROM files WHERE path LIKE '%/again/%' OR path = @outside", new { outside }));
        foreach (var error in _library.Query<string>("SELECT error FROM file_status WHERE error IS NOT NULL"))
        {
            Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
            Assert.DoesNotContain("\n   at ", error, StringComparison.Ordinal);
            Assert.DoesNotContain("unknown", error, StringComparison.OrdinalIgnoreCase);
        }

        await AssertGoodPhotosMatchExiftoolAsync(files);

        // A newline in a name is stored as it is, not escaped or cut.
        var newline = files.Single(f => f.Path.Contains('\n', StringComparison.Ordinal)).Path;
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photo_overview WHERE path = @newline", new { newline }));

        // The console log is one line per message: a newline in a file name cannot forge a log line.
        Assert.DoesNotContain(daemon.Output.Split('\n'), line => line.StartsWith("line two.jpg", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", daemon.Output, StringComparison.Ordinal);

        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        var good = files.Where(f => f.Expected is Expected.Processed).Select(f => f.Path).ToList();
        _row ??= new ReliabilityRow(
            $"hostile library: {files.Count - good.Count} hostile files dropped at once beside {good.Count} good photos into a running daemon",
            "drop to every file settled");
        _row.AddRun(_library, ["metadata", "clustering"], daemons: 1, daemon.Crashed ? 1 : 0, [drained], photos: good);
    }

    private bool Drained(IReadOnlyList<LibraryFile> files)
    {
        var recorded = _library.CountOrZero("SELECT count(*) FROM files");
        var busy = _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')");
        return recorded >= files.Count && busy == 0;
    }

    /// <summary>What is wrong with one file's outcome, if anything.</summary>
    private IEnumerable<string> Check(LibraryFile file)
    {
        var rows = _library.Query<(string Status, string? Error, long? PhotoId)>(
            "SELECT status, error, photo_id FROM file_status WHERE path = @Path", new { file.Path });
        if (rows.Count != 1)
        {
            yield return $"{file.Label}: {rows.Count} rows";
            yield break;
        }

        var (status, error, photoId) = rows[0];
        var jobs = photoId is { } id
            ? _library.Query<(string Stage, string State)>("SELECT stage, state FROM jobs WHERE photo_id = @id", new { id })
            : [];
        var failed = jobs.Where(j => j.State == "failed").Select(j => j.Stage).ToList();
        var format = photoId is { } pid ? _library.Query<string?>("SELECT format FROM photo_metadata WHERE photo_id = @pid", new { pid }).SingleOrDefault() : null;
        bool AllDone() => status == "present" && error is null && jobs.Count >= 2 && jobs.All(j => j.State == "done");
        bool Matches(string pattern) => error is not null && Regex.IsMatch(error, pattern);
        var verdict = file.Expected switch
        {
            Expected.Processed p => AllDone() && format == p.Format,
            Expected.Refused r => status == "rejected" && photoId is null && Matches(r.Error),
            Expected.Failed f => status == "present" && failed.SequenceEqual([f.Stage]) && Matches(f.Error),
            Expected.ProcessedOrFailed e => (AllDone() && format == e.Format) || (status == "present" && failed.SequenceEqual([e.Stage]) && Matches(e.Error)),
            _ => false,
        };
        if (!verdict)
        {
            yield return $"{file.Label}: expected {file.Expected}, got status={status} format={format} jobs=[{string.Join(", ", jobs)}] error={error}";
        }
    }

    /// <summary>The good photos' stored facts against exiftool, an independent reader.</summary>
    private async Task AssertGoodPhotosMatchExiftoolAsync(IReadOnlyList<LibraryFile> files)
    {
        var sources = HostileLibrary.GoodSources;
        var start = new ProcessStartInfo("exiftool") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-json", "-n", "-EXIF:Make", "-EXIF:Model", "-ImageWidth", "-ImageHeight", "-EXIF:GPSLatitude", "-EXIF:GPSLongitude", "-EXIF:DateTimeOriginal", .. sources])
        {
            start.ArgumentList.Add(argument);
        }

        using var exiftool = Process.Start(start)!;
        var json = await exiftool.StandardOutput.ReadToEndAsync();
        await exiftool.WaitForExitAsync();
        var reference = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(sources.Count, reference.Count);

        foreach (var (source, facts) in sources.Zip(reference))
        {
            var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(source)));
            var row = _library.Query<(string? Make, string? Model, long Width, long Height, double? Latitude, double? Longitude, string? TakenAt)>(
                "SELECT camera_make, camera_model, width, height, gps_latitude, gps_longitude, taken_at_local FROM photo_overview WHERE sha256 = @sha256",
                new { sha256 }).Single();
            var name = Path.GetFileName(source);
            Assert.Equal(Text(facts, "Make"), row.Make?.Trim());
            Assert.Equal(Text(facts, "Model"), row.Model?.Trim());
            Assert.Equal(facts.GetProperty("ImageWidth").GetInt64(), row.Width);
            Assert.Equal(facts.GetProperty("ImageHeight").GetInt64(), row.Height);
            AssertClose(Number(facts, "GPSLatitude"), row.Latitude, name);
            AssertClose(Number(facts, "GPSLongitude"), row.Longitude, name);
            if (Text(facts, "DateTimeOriginal") is { } taken)
            {
                var expected = DateTime.ParseExact(taken[..19], "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture);
                Assert.StartsWith(expected.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture), row.TakenAt);
            }
        }

        static string? Text(JsonElement facts, string name) =>
            facts.TryGetProperty(name, out var value) ? Convert.ToString(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), CultureInfo.InvariantCulture)?.Trim() : null;

        static double? Number(JsonElement facts, string name) => facts.TryGetProperty(name, out var value) ? value.GetDouble() : null;

        static void AssertClose(double? expected, double? actual, string name)
        {
            Assert.True(
                expected is null ? actual is null : actual is { } a && Math.Abs(a - expected.Value) < 1e-6,
                $"{name}: expected {expected}, stored {actual}");
        }
    }

    private string Dump()
    {
        var text = new StringBuilder("\nfile_status:\n");
        foreach (var row in _library.Query<(string Path, string Status, string? Error, long? PhotoId)>("SELECT path, status, error, photo_id FROM file_status ORDER BY path"))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {row.Path.Replace("\n", "\\n", StringComparison.Ordinal)} {row.Status} photo={row.PhotoId} {row.Error}");
        }

        foreach (var row in _library.Query<(string Stage, string State, long Jobs)>("SELECT stage, state, jobs FROM pipeline_progress"))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  jobs {row.Stage} {row.State}: {row.Jobs}");
        }

        return text.ToString();
    }

    public void Dispose()
    {
        _library.Dispose();
        HostileLibrary.Remove(_library.Root); // .NET cannot delete the file whose name is not UTF-8
    }
}
