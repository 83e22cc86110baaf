using System.Diagnostics;
using PrivateVlm.Clustering;
using PrivateVlm.Metadata;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// Issue #8, "a file deleted or replaced while being processed", in the real `privatevlm run` process, at the two
/// places a photo's bytes are read after it was hashed: MetadataExtractor's parse (L0) and a libvips decode (the
/// clustering stage's thumbnail, which every photo gets without a model). The victims are the stallers of
/// <see cref="HostileLibrary"/>, and each test deletes or replaces the file only once the daemon holds it open (and,
/// for libvips, has read it a given number of times: /proc shows the descriptor's offset), so "mid-read" is a fact
/// rather than a guess. Each ends with a clear status, every stored result describes the bytes of the photo it is
/// stored under, and the photos dropped beside it are processed.
/// </summary>
[Collection(nameof(HostileLibraryTests))]
public sealed class HostileLibraryMidReadTests(ITestOutputHelper output) : IDisposable
{
    private readonly LibraryAudit _audit = new();

    [CorpusFact]
    public async Task A_photo_deleted_while_its_metadata_is_read_keeps_what_was_read_and_the_photos_dropped_beside_it_are_processed()
    {
        var staller = _audit.Keep("screenshot.png", HostileLibrary.PngWithManyTextChunks(150_000));
        using var daemon = await _audit.StartDaemonAsync();

        var victim = _audit.SyncClientWrite(staller, "screenshot.png");
        await WhileReadingAsync(daemon, victim, MetadataStage.StageName);
        var clock = Stopwatch.StartNew();
        File.Delete(victim);
        var beside = _audit.DropBeside(3);
        await _audit.SettledAsync(daemon, photos: 1 + beside.Count);
        var recovered = clock.Elapsed;

        // The parse went on from the open file: the deleted photo keeps its own metadata, dated by its own mtime (it
        // was 1601-01-01 when the date was looked up by name), and no later stage found a file to read.
        var sha = LibraryAudit.Sha256(staller);
        Assert.Equal("deleted", _audit.StatusOf(victim));
        Assert.Equal(("done", null), _audit.JobOf(sha, MetadataStage.StageName));
        Assert.Equal(UtcText.From(LibraryAudit.Modified), _audit.Library.Scalar<string>(
            "SELECT m.taken_at_utc FROM photo_metadata m JOIN photos p ON p.id = m.photo_id WHERE p.sha256 = @sha", new { sha }));
        Assert.Equal(("failed", LibraryAudit.NoFileLeft), _audit.JobOf(sha, ClusteringStage.StageName));
        var attempts = _audit.AssertNoRetryStorm(sha);
        await _audit.AssertEveryResultDescribesItsOwnBytesAsync();

        await LibraryAudit.StopAsync(daemon);
        _audit.Report(output, daemon, $"file deleted while L0 parses it (150,000 PNG text chunks; {attempts} attempt(s) in all), {beside.Count} photos dropped beside it",
            recovered, "L0 kept from the open file; clustering: no file left");
    }

    [CorpusFact]
    public async Task A_photo_replaced_while_its_metadata_is_read_never_lends_the_new_bytes_to_the_old_photo()
    {
        var original = _audit.Keep("IMG_0001.png", HostileLibrary.PngWithManyTextChunks(150_000));
        var replacement = _audit.Keep("IMG_0001-edited.png", File.ReadAllBytes(Corpus.Files("near-dup/burst", "*.png").First()));
        Assert.NotEqual(new FileInfo(original).Length, new FileInfo(replacement).Length); // only the size tells them apart
        using var daemon = await _audit.StartDaemonAsync();

        // The parse read the old bytes through the open file, but the name now holds other bytes: the result is
        // discarded rather than trusted, the new bytes are a photo of their own, and the old photo, no longer in any
        // file, says so. AssertEveryResultDescribesItsOwnBytes is the promise; the rest pins down how it is kept.
        var replaced = await ReplaceWhileReadingAsync(daemon, original, replacement, path => WhileReadingAsync(daemon, path, MetadataStage.StageName));
        var old = replaced.OldSha256;
        Assert.Equal(("failed", LibraryAudit.NoFileLeft), _audit.JobOf(old, MetadataStage.StageName));
        Assert.Equal(0, _audit.Library.Scalar<long>(
            "SELECT count(*) FROM photo_metadata m JOIN photos p ON p.id = m.photo_id WHERE p.sha256 = @old", new { old }));
        _audit.AssertNoRetryStorm(old);
        await _audit.AssertEveryResultDescribesItsOwnBytesAsync();

        await LibraryAudit.StopAsync(daemon);
        _audit.Report(output, daemon, $"file replaced (atomic rename, same name and mtime) while L0 parses it, {replaced.Beside} photos dropped beside it",
            replaced.Recovered, "old result discarded; new bytes a new photo");
    }

    [CorpusFact]
    public async Task A_photo_deleted_or_moved_while_it_is_decoded_ends_clearly_and_the_photos_dropped_beside_it_are_processed()
    {
        // Two ways libvips spends its time. The 4 MB of text chunks before a PNG's pixels it reads nine times for one
        // photo's hashes (libvips 8.14), over five opens by name: twice when the stage reads the header, twice more
        // when the thumbnail checks it, then for the thumbnail itself. The pixels of a large 16-bit PNG it decodes in
        // one open, to the end.
        var inHeader = _audit.Keep("chunks.png", HostileLibrary.PngWithManyTextChunks(150_000));
        var inPixels = Path.Combine(_audit.Scratch, "pixels.png");
        HostileLibrary.WriteSlowToDecodePng(inPixels, 6_000);
        _audit.Keep(inPixels);
        using var daemon = await _audit.StartDaemonAsync();
        var beside = new List<string>();

        async Task<(string State, string? Error, int Errors, TimeSpan Settled)> DeleteMidDecodeAsync(string staller, Func<string, Task> midRead)
        {
            var victim = _audit.SyncClientWrite(staller, Path.GetFileName(staller));
            await midRead(victim);
            var clock = Stopwatch.StartNew();
            File.Delete(victim);
            beside.AddRange(_audit.DropBeside(2, offset: beside.Count));
            var sha = LibraryAudit.Sha256(staller);
            await Eventually.AssertAsync(
                () => _audit.JobOf(sha, ClusteringStage.StageName).State is "done" or "failed", $"{Path.GetFileName(victim)} settled",
                LibraryAudit.Drain, () => _audit.Dump() + daemon.Output);
            Assert.Equal("deleted", _audit.StatusOf(victim));
            _audit.AssertNoRetryStorm(sha);
            var (state, error) = _audit.JobOf(sha, ClusteringStage.StageName);
            return (state, error, _audit.ErrorsOf(sha).Count, clock.Elapsed);
        }

        // Deleted once the stage has read the header: the thumbnail's open by name finds nothing. That says nothing
        // about the photo (it was rejected as "cannot decode png: ... does not exist"), and no file is left to read.
        var header = await DeleteMidDecodeAsync(inHeader, victim => AfterReadingAsync(daemon, victim, ClusteringStage.StageName, passes: 2));
        Assert.Equal(("failed", LibraryAudit.NoFileLeft), (header.State, header.Error));

        // Deleted while the pixels are decoded: usually from the open file to the end (the hash then describes the
        // deleted bytes); caught during a header open instead, it ends like the one above.
        var pixels = await DeleteMidDecodeAsync(inPixels, victim => WhileReadingAsync(daemon, victim, ClusteringStage.StageName));
        Assert.True(pixels is ("done", null, _, _) or ("failed", LibraryAudit.NoFileLeft, _, _), $"pixels.png: {pixels}");

        // Moved (renamed in the folder) at the same moment: the same failed open, but the photo's bytes live on under
        // the new name, and the stage runs again there.
        var moving = _audit.Keep("moving.png", HostileLibrary.PngWithManyTextChunks(150_001));
        var before = _audit.SyncClientWrite(moving, "moving.png");
        await AfterReadingAsync(daemon, before, ClusteringStage.StageName, passes: 2);
        var moved = Path.Combine(_audit.Library.Inbox, "moved.png");
        File.Move(before, moved);
        await _audit.SettledAsync(daemon, photos: 3 + beside.Count);
        Assert.Equal(("done", null), _audit.JobOf(LibraryAudit.Sha256(moving), ClusteringStage.StageName));
        Assert.Equal("present", _audit.StatusOf(moved));
        Assert.Empty(_audit.Library.Query<string>("SELECT status FROM files WHERE path = @before", new { before }));

        await _audit.AssertEveryResultDescribesItsOwnBytesAsync();

        await LibraryAudit.StopAsync(daemon);
        string Outcome((string State, string? Error, int Errors, TimeSpan Settled) o) =>
            $"{(o.State == "done" ? "hashed from the open file" : "no file left")}, {o.Errors} error row(s)";
        _audit.Report(output, daemon, $"file deleted while libvips decodes it (header staller, pixel staller; and one moved), {beside.Count} photos dropped beside them",
            header.Settled > pixels.Settled ? header.Settled : pixels.Settled,
            $"chunks.png: {Outcome(header)}; pixels.png: {Outcome(pixels)}; moved.png: hashed under its new name");
    }

    [CorpusFact]
    public async Task A_photo_replaced_while_it_is_decoded_never_lends_the_new_pixels_to_the_old_photo()
    {
        // Replaced once the stage has read the header (see the test above): the thumbnail opens the name again and
        // gets the new PNG, so the thumbnail libvips returns is the new picture's.
        var original = _audit.Keep("IMG_0002.png", HostileLibrary.PngWithManyTextChunks(150_000));
        var replacement = _audit.Keep("IMG_0002-edited.png", File.ReadAllBytes(Corpus.Files("near-dup/burst", "*.png").Skip(1).First()));
        using var daemon = await _audit.StartDaemonAsync();

        var replaced = await ReplaceWhileReadingAsync(
            daemon, original, replacement, path => AfterReadingAsync(daemon, path, ClusteringStage.StageName, passes: 2));
        var old = replaced.OldSha256;
        Assert.Equal(("done", null), _audit.JobOf(old, MetadataStage.StageName));
        Assert.Equal(("failed", LibraryAudit.NoFileLeft), _audit.JobOf(old, ClusteringStage.StageName));
        Assert.Equal(0, _audit.Library.Scalar<long>(
            "SELECT count(*) FROM photo_hashes h JOIN photos p ON p.id = h.photo_id WHERE p.sha256 = @old", new { old }));
        _audit.AssertNoRetryStorm(old);
        await _audit.AssertEveryResultDescribesItsOwnBytesAsync();

        await LibraryAudit.StopAsync(daemon);
        _audit.Report(output, daemon, $"file replaced (atomic rename, same name and mtime) while libvips decodes it, {replaced.Beside} photos dropped beside it",
            replaced.Recovered, "old hash discarded; new bytes a new photo");
    }

    /// <summary>
    /// Writes <paramref name="original"/> into the folder under its name, waits until the daemon is reading it, renames
    /// <paramref name="replacement"/> over it as a sync client does, drops two photos beside it and waits for the library
    /// to settle. The name then holds the new bytes, a photo of its own that went through every stage.
    /// </summary>
    private async Task<Replacement> ReplaceWhileReadingAsync(DaemonProcess daemon, string original, string replacement, Func<string, Task> reading)
    {
        var name = Path.GetFileName(original);
        var path = _audit.SyncClientWrite(original, name);
        await reading(path);
        var clock = Stopwatch.StartNew();
        _audit.SyncClientWrite(replacement, name);
        var beside = _audit.DropBeside(2);
        await _audit.SettledAsync(daemon, photos: 2 + beside.Count);
        var recovered = clock.Elapsed;

        var now = LibraryAudit.Sha256(replacement);
        Assert.Equal(("present", null, now), _audit.Library.Query<(string, string?, string)>(
            "SELECT s.status, s.error, p.sha256 FROM file_status s JOIN photos p ON p.id = s.photo_id WHERE s.path = @path", new { path }).Single());
        Assert.Equal(("done", "done"), (_audit.JobOf(now, MetadataStage.StageName).State, _audit.JobOf(now, ClusteringStage.StageName).State));
        return new Replacement(LibraryAudit.Sha256(original), beside.Count, recovered);
    }

    private sealed record Replacement(string OldSha256, int Beside, TimeSpan Recovered);

    /// <summary>Waits until the daemon has claimed the photo's job at <paramref name="stage"/> and holds the file
    /// open: from then on its read is under way. (The job first: the ingest's hash also opens the file.)</summary>
    private Task WhileReadingAsync(DaemonProcess daemon, string path, string stage) =>
        Eventually.AssertAsync(
            () => _audit.JobAt(path, stage) == "running" && daemon.HoldsOpen(path),
            $"the daemon reading {Path.GetFileName(path)} for {stage}", LibraryAudit.Drain, () => _audit.Dump() + daemon.Output);

    /// <summary>
    /// Waits until the daemon has read the whole file <paramref name="passes"/> times for the photo's job at
    /// <paramref name="stage"/> and started once more: each time its read offset falls back from past the middle of
    /// the file to before it (libvips' small rewinds while it sniffs the format stay near the start and do not count).
    /// Where there is no /proc to show the offset, any open will do.
    /// </summary>
    private async Task AfterReadingAsync(DaemonProcess daemon, string path, string stage, int passes)
    {
        var middle = new FileInfo(path).Length / 2;
        await WhileReadingAsync(daemon, path, stage);
        var clock = Stopwatch.StartNew();
        var (done, pastMiddle) = (0, false);
        while (OperatingSystem.IsLinux() && done < passes)
        {
            var offset = daemon.ReadOffset(path);
            if (pastMiddle && offset < middle)
            {
                (done, pastMiddle) = (done + 1, false);
            }

            pastMiddle |= offset > middle;
            Assert.True(
                clock.Elapsed < LibraryAudit.Drain && (offset is not null || _audit.JobAt(path, stage) == "running"),
                $"the daemon read {Path.GetFileName(path)} {done} time(s) for {stage}, not {passes}. {_audit.Dump()}{daemon.Output}");
            await Task.Delay(1);
        }
    }

    public void Dispose() => _audit.Dispose();
}
