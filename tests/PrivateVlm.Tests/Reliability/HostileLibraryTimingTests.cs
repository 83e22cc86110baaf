using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using PrivateVlm.Clustering;
using PrivateVlm.Imaging;
using PrivateVlm.Metadata;
using PrivateVlm.Tests.Imaging;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// Issue #8, the hostile files that are about time, end to end in the real `privatevlm run` process: a file that
/// stalls the metadata parser or the decoder is cut off at its per-file limit with a clear error while the photos
/// behind it are processed, and a file replaced or deleted while its photo is in the pipeline never lends its
/// content to another photo.
/// </summary>
[Collection(nameof(HostileLibraryTests))]
public sealed class HostileLibraryTimingTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(90);

    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task A_file_that_stalls_the_parser_or_the_decoder_is_cut_off_at_its_limit_and_the_next_photos_are_processed()
    {
        var scratch = Directory.CreateDirectory(Path.Combine(_library.Root, "scratch")).FullName;
        var stallsParser = Path.Combine(scratch, "many-text-chunks.png");
        File.WriteAllBytes(stallsParser, HostileLibrary.PngWithManyTextChunks(150_000));
        var stallsDecoder = Path.Combine(scratch, "slow-16bit.png");
        HostileLibrary.WriteSlowToDecodePng(stallsDecoder, 8_500); // 72 MP, under Imaging:MaxPixels: a limit ~20x a camera photo
        var good = PhotoFactory.CorpusJpegs().Take(4).ToList();

        // The limits sit between a camera photo and the staller, as measured now on this (possibly loaded) machine: a
        // third of the staller's time, far above a camera photo's.
        var reader = new PhotoMetadataReader();
        reader.Read(good[0]); // the first read pays for JIT and library loading
        var parseLimit = Between(good.Max(p => Timed(() => reader.Read(p))), Timed(() => reader.Read(stallsParser)), "parse");
        using var imaging = new ImagingTestContext(new ImagingOptions { TimeLimit = TimeSpan.FromMinutes(2) });
        var thumbnail = (string path) => Timed(() => imaging.Preparation.GrayscaleThumbnailAsync(path, PerceptualHash.Side, PerceptualHash.Side, default).GetAwaiter().GetResult());
        thumbnail(good[0]);
        var decodeLimit = Between(good.Max(thumbnail), thumbnail(stallsDecoder), "decode");

        using var daemon = DaemonProcess.Start(_library, new Dictionary<string, string>
        {
            ["PRIVATEVLM__Metadata__TimeLimit"] = parseLimit.ToString("c", CultureInfo.InvariantCulture),
            ["PRIVATEVLM__Imaging__TimeLimit"] = decodeLimit.ToString("c", CultureInfo.InvariantCulture),
        });

        // A first photo through every stage, so the daemon's own first-use costs (JIT, libvips start-up) are behind
        // it; then the stallers, with the good photos right behind them in the same queues.
        var warmUp = _library.Drop(PhotoFactory.CorpusJpegs()[5], "warm-up.jpg");
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 1,
            "the warm-up photo processed", Drain, () => Dump() + daemon.Output);
        var parserVictim = _library.Drop(stallsParser, "stalls-the-parser.png");
        var decoderVictim = _library.Drop(stallsDecoder, "stalls-the-decoder.png");
        var photos = good.Select((p, i) => _library.Drop(p, $"after-{i}.jpg")).ToList();

        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM files") == 3 + photos.Count
                  && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
            "everything settled", Drain, () => Dump() + daemon.Output);
        Assert.False(daemon.HasExited, daemon.Output);

        var parsed = Job(parserVictim, "metadata");
        Assert.Equal(("failed", 1L), (parsed.State, parsed.Attempts)); // not retried: the same bytes would stall again
        Assert.Equal(
            $"reading its PNG metadata took longer than the limit Metadata:TimeLimit = {parseLimit.TotalSeconds:0.###} s; abandoned (a photo's metadata takes milliseconds)",
            parsed.Error);

        Assert.Equal("done", Job(decoderVictim, "metadata").State);
        var decoded = Job(decoderVictim, "clustering");
        Assert.Equal(("failed", 1L), (decoded.State, decoded.Attempts));
        Assert.Equal($"decoding took longer than the limit Imaging:TimeLimit = {decodeLimit.TotalSeconds:0.###} s; abandoned: {decoderVictim}", decoded.Error);

        foreach (var photo in photos)
        {
            Assert.Equal(("done", "done"), (Job(photo, "metadata").State, Job(photo, "clustering").State));
        }

        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        ReliabilityRow.ReportOneRun(
            output,
            $"per-file time limits: parser staller + decoder staller ahead of {photos.Count} photos and a warm-up (limits {parseLimit.TotalMilliseconds:F0} ms / {decodeLimit.TotalMilliseconds:F0} ms)",
            "nothing to recover from: each staller cut off at its limit, 1 attempt", _library, ["metadata", "clustering"],
            daemons: 1, daemon.Crashed ? 1 : 0, [], photos: [.. photos, warmUp]);
    }

    [CorpusFact]
    public async Task A_parse_cut_off_at_its_limit_returns_at_once_and_its_thread_ends_on_its_own()
    {
        var staller = Path.Combine(_library.Root, "many-text-chunks.png");
        File.WriteAllBytes(staller, HostileLibrary.PngWithManyTextChunks(150_000));
        var hurried = new PhotoMetadataReader(TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new MetadataOptions { TimeLimit = TimeSpan.FromMilliseconds(20) }));
        var abandonedBefore = PhotoMetadataReader.AbandonedParses;

        var clock = Stopwatch.StartNew();
        var rejection = Assert.Throws<PrivateVlm.Pipeline.PhotoRejectedException>(() => hurried.Read(staller));
        var waited = clock.Elapsed;
        Assert.StartsWith("reading its PNG metadata took longer than the limit Metadata:TimeLimit = 0.02 s; abandoned", rejection.Message);
        Assert.Equal(abandonedBefore + 1, PhotoMetadataReader.AbandonedParses);

        // The caller did not wait for the parse (compared with the whole parse, measured now), the abandoned parse
        // ends by itself, and the next read gets a working thread.
        var whole = Timed(() => new PhotoMetadataReader().Read(staller));
        Assert.True(waited < whole, $"the caller waited {waited} for a 20 ms limit; the whole parse takes {whole}");
        await Eventually.AssertAsync(() => PhotoMetadataReader.AbandonedParses == abandonedBefore, "the abandoned parse ended", TimeSpan.FromSeconds(60));
        Assert.Equal("JPEG", new PhotoMetadataReader().Read(PhotoFactory.CorpusJpegs()[0]).Format);
    }

    [CorpusFact]
    public async Task A_file_replaced_or_deleted_after_its_metadata_never_lends_another_picture_to_its_photo()
    {
        var sources = PhotoFactory.CorpusJpegs();
        var (original, replacement, deletedContent) = (sources[0], sources[1], sources[2]);

        // First run: metadata only (clustering off), then stop.
        bool firstCrashed;
        var replaced = _library.Drop(original, "replaced.jpg");
        var deleted = _library.Drop(deletedContent, "deleted.jpg");
        using (var first = DaemonProcess.Start(_library, new Dictionary<string, string> { ["PRIVATEVLM__Clustering__Enabled"] = "false" }))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 2,
                "metadata for both", Drain, () => Dump() + first.Output);
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            firstCrashed = first.Crashed;
        }

        // While it is stopped, one file is replaced by another picture and the other deleted. The second run queues
        // clustering for both photos at start-up, before its scan has looked at the folder.
        var before = File.GetLastWriteTimeUtc(replaced);
        _library.Drop(replacement, "replaced.jpg");
        File.SetLastWriteTimeUtc(replaced, before.AddMinutes(-5));
        File.Delete(deleted);

        using var second = DaemonProcess.Start(_library);
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM photos") == 3
                  && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
            "the new content identified and every job settled", Drain, () => Dump() + second.Output);
        Assert.False(second.HasExited, second.Output);

        foreach (var gone in new[] { original, deletedContent })
        {
            var clustering = JobOf(Sha256(gone), "clustering");
            Assert.Equal("failed", clustering.State);
            Assert.Equal("every file holding this photo was deleted or replaced before this stage ran", clustering.Error);
            Assert.Equal(0, _library.Scalar<long>(
                "SELECT count(*) FROM photo_hashes h JOIN photos p ON p.id = h.photo_id WHERE p.sha256 = @sha", new { sha = Sha256(gone) }));
        }

        // The replacement is a photo of its own, read from its own bytes.
        var now = _library.Query<(string Status, string? Error, string Sha256)>(
            "SELECT s.status, s.error, p.sha256 FROM file_status s JOIN photos p ON p.id = s.photo_id WHERE s.path = @replaced", new { replaced }).Single();
        Assert.Equal(("present", null, Sha256(replacement)), now);
        Assert.Equal(("done", "done"), (JobOf(Sha256(replacement), "metadata").State, JobOf(Sha256(replacement), "clustering").State));
        var expected = new PhotoMetadataReader().Read(replacement);
        Assert.Equal(
            (expected.Width, expected.Height, expected.Make),
            _library.Query<(int?, int?, string?)>("SELECT width, height, camera_make FROM photo_overview WHERE sha256 = @sha", new { sha = Sha256(replacement) }).Single());
        Assert.Equal("deleted", _library.Scalar<string>("SELECT status FROM files WHERE path = @deleted", new { deleted }));

        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        ReliabilityRow.ReportOneRun(
            output, "file replaced / deleted while its photo waits for clustering (across a restart)", "nothing to recover from: no crash",
            _library, ["metadata", "clustering"], daemons: 2, (firstCrashed ? 1 : 0) + (second.Crashed ? 1 : 0), []);
    }

    [CorpusFact]
    public async Task A_file_deleted_between_its_hash_and_its_commit_is_marked_deleted_at_once()
    {
        // Tier health polled hourly: while the lock is held below, the only writer waiting is the ingest.
        using var daemon = DaemonProcess.Start(_library, new Dictionary<string, string>
        {
            ["PRIVATEVLM__Health__PollInterval"] = "01:00:00",
            ["PRIVATEVLM__Database__BusyTimeout"] = "00:00:00.200",
        });
        _library.Drop(PhotoFactory.CorpusJpegs()[0], "warm-up.jpg");
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 1,
            "the warm-up photo processed (start-up writes over, workers idle)", Drain, () => daemon.Output);

        const string waiting = "is locked by another process";
        var path = Path.Combine(_library.Inbox, "vanishing.jpg");
        using (var user = new SqliteConnection($"Data Source={_library.DatabasePath};Pooling=False"))
        {
            user.Open();
            Execute(user, "BEGIN IMMEDIATE");
            var waitsBefore = Count(daemon.Output, waiting);
            _library.Drop(PhotoFactory.CorpusJpegs()[1], "vanishing.jpg");
            await Eventually.AssertAsync(
                () => Count(daemon.Output, waiting) > waitsBefore, "the ingest hashed the file and waits to record it",
                TimeSpan.FromSeconds(30), () => daemon.Output);
            File.Delete(path);
            Execute(user, "COMMIT");
        }

        // Its delete event came while there was no row to mark; the row must not stay 'present' until the next scan.
        await Eventually.AssertAsync(
            () => _library.Query<string>("SELECT status FROM files WHERE path = @path", new { path }).SequenceEqual(["deleted"])
                  && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
            "the file marked deleted and its job settled", TimeSpan.FromSeconds(30), () => Dump() + daemon.Output);
        Assert.Equal(
            "metadata: every file holding this photo was deleted or replaced before this stage ran",
            _library.Scalar<string>("SELECT error FROM file_status WHERE path = @path", new { path }));
        Assert.False(daemon.HasExited, daemon.Output);
    }

    /// <summary>A third of the slow duration; fails if the fast one is not far below that.</summary>
    private TimeSpan Between(TimeSpan fast, TimeSpan slow, string what)
    {
        output.WriteLine($"{what}: camera photos at most {fast.TotalMilliseconds:F1} ms, the staller {slow.TotalMilliseconds:F0} ms");
        Assert.True(slow > fast * 15, $"the {what} staller ({slow}) is not clearly slower than a camera photo ({fast}) on this machine");
        return TimeSpan.FromMilliseconds(Math.Round(slow.TotalMilliseconds / 3));
    }

    private static TimeSpan Timed(Action work)
    {
        var clock = Stopwatch.StartNew();
        work();
        return clock.Elapsed;
    }

    private (string State, long Attempts, string? Error) Job(string path, string stage) =>
        _library.Query<(string, long, string?)>(
            "SELECT j.state, j.attempts, j.last_error FROM jobs j JOIN files f ON f.photo_id = j.photo_id WHERE f.path = @path AND j.stage = @stage",
            new { path, stage }).Single();

    private (string State, string? Error) JobOf(string sha256, string stage) =>
        _library.Query<(string, string?)>(
            "SELECT j.state, j.last_error FROM jobs j JOIN photos p ON p.id = j.photo_id WHERE p.sha256 = @sha256 AND j.stage = @stage",
            new { sha256, stage }).Single();

    private static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private string Dump() => string.Join(
        "\n", _library.Query<string>("SELECT path || ' ' || status || ' ' || coalesce(error, '') FROM file_status")
            .Concat(_library.Query<string>("SELECT stage || ' ' || state || ' x' || jobs FROM pipeline_progress"))) + "\n";

    public void Dispose() => _library.Dispose();
}
