using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Ingest;

/// <summary>What a user sees in the database after putting files into the watched folder.</summary>
public sealed class FolderIngestTests : IDisposable
{
    private readonly TempLibrary _library = new();

    private static string SamplePhoto => PhotoFactory.CorpusJpegs()[0];

    [CorpusFact]
    public async Task Identical_bytes_under_two_names_are_one_photo_analysed_once()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);

        _library.Drop(SamplePhoto, "a.jpg");
        _library.Drop(SamplePhoto, "copy of a.jpg");

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM files WHERE status = 'present'") == 2, "both files recorded");
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "metadata done");
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(DISTINCT photo_id) FROM files"));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'metadata'"));
    }

    [CorpusFact]
    public async Task A_file_written_slowly_is_read_only_once_complete()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var bytes = PhotoFactory.Variant(SamplePhoto, 1);
        var target = Path.Combine(_library.Inbox, "slow.jpg");

        // A slow copy: chunks with pauses shorter than the 300 ms stability window.
        await using (var stream = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
        {
            var chunk = (bytes.Length / 8) + 1;
            for (var offset = 0; offset < bytes.Length; offset += chunk)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)));
                await stream.FlushAsync();
                await Task.Delay(80);
            }
        }

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "the slow file analysed");
        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal([expected], _library.Query<string>("SELECT sha256 FROM photos"));
        Assert.Equal(bytes.Length, _library.Scalar<long>("SELECT size_bytes FROM files WHERE path = @target", new { target }));
    }

    [CorpusFact]
    public async Task Rename_and_move_update_the_path_without_analysing_again()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var original = _library.Drop(SamplePhoto, "IMG_0001.jpg");
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "first analysis");
        var photoId = _library.Scalar<long>("SELECT photo_id FROM files");
        var extractedAt = _library.Scalar<string>("SELECT extracted_at FROM photo_metadata");

        var renamed = Path.Combine(_library.Inbox, "beach.jpg");
        File.Move(original, renamed);
        await Eventually.AssertAsync(() => _library.Query<string>("SELECT path FROM files WHERE status = 'present'").SequenceEqual([renamed]), "rename seen");

        var album = Path.Combine(_library.Root, "Holiday");
        Directory.CreateDirectory(album);
        File.Move(renamed, Path.Combine(album, "beach.jpg"));
        Directory.Move(album, Path.Combine(_library.Inbox, "Holiday"));
        var moved = Path.Combine(_library.Inbox, "Holiday", "beach.jpg");
        await Eventually.AssertAsync(() => _library.Query<string>("SELECT path FROM files WHERE status = 'present'").SequenceEqual([moved]), "move into a sub-folder seen");

        Assert.Equal(photoId, _library.Scalar<long>("SELECT photo_id FROM files WHERE path = @moved", new { moved }));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'metadata'"));
        Assert.Equal(extractedAt, _library.Scalar<string>("SELECT extracted_at FROM photo_metadata"));
    }

    [CorpusFact]
    public async Task A_deleted_file_is_marked_deleted_and_its_results_are_kept()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var path = _library.Drop(SamplePhoto, "gone.jpg");
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "analysed");

        File.Delete(path);

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM files WHERE status = 'deleted'") == 1, "deletion seen");
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM photo_overview"));
        Assert.NotNull(_library.Scalar<string?>("SELECT deleted_at FROM files"));
    }

    [CorpusFact]
    public async Task Hidden_partial_and_placeholder_files_are_never_read()
    {
        var ignored = new[] { ".hidden.jpg", "._IMG_0001.jpg", ".DS_Store", "IMG_0002.jpg.part", "IMG_0003.jpg.crdownload", "IMG_0004.jpg.download", ".IMG_0005.jpg.icloud", Path.Combine(".git", "x.jpg") };
        foreach (var name in ignored)
        {
            _library.Drop(SamplePhoto, name);
        }

        await using var daemon = await InProcessDaemon.StartAsync(_library);
        _library.Drop(SamplePhoto, "visible.jpg");

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "the visible photo analysed");
        Assert.Equal([Path.Combine(_library.Inbox, "visible.jpg")], _library.Query<string>("SELECT path FROM files"));
    }

    [CorpusFact]
    public async Task Symlinks_never_lead_out_of_the_watched_folder_and_loops_do_not_hang()
    {
        var outside = Path.Combine(_library.Root, "outside.jpg");
        File.Copy(SamplePhoto, outside);
        File.CreateSymbolicLink(Path.Combine(_library.Inbox, "escape.jpg"), outside);
        Directory.CreateSymbolicLink(Path.Combine(_library.Inbox, "loop"), _library.Inbox);
        _library.Drop(SamplePhoto, "inside.jpg");
        File.CreateSymbolicLink(Path.Combine(_library.Inbox, "alias.jpg"), Path.Combine(_library.Inbox, "inside.jpg"));

        await using var daemon = await InProcessDaemon.StartAsync(_library);

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM files") == 3, "three entries recorded");
        var escape = _library.Query<(string Status, string Error)>("SELECT status, error FROM files WHERE path LIKE '%escape.jpg'").Single();
        Assert.Equal("rejected", escape.Status);
        Assert.Contains("outside the watched folder", escape.Error);
        Assert.Empty(_library.Query<string>("SELECT path FROM files WHERE path LIKE '%/loop/%'"));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos")); // inside.jpg and its alias are one photo
    }

    [CorpusFact]
    public async Task Empty_and_non_image_files_end_with_a_clear_error_while_others_are_processed()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        _library.Write("empty.jpg", []);
        _library.Write("notes.jpg", "this is a text file, not a photo"u8.ToArray());
        _library.Drop(SamplePhoto, "good.jpg");

        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM file_status WHERE error IS NOT NULL") == 2
                  && _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1,
            "two errors and one success recorded",
            state: () => string.Join("; ", _library.Query<string>("SELECT path || ' ' || status || ' ' || coalesce(error, '') FROM file_status")));

        Assert.Equal("empty file (0 bytes)", _library.Scalar<string>("SELECT error FROM file_status WHERE path LIKE '%empty.jpg'"));
        Assert.StartsWith("metadata: ", _library.Scalar<string>("SELECT error FROM file_status WHERE path LIKE '%notes.jpg'"));
    }

    [CorpusFact]
    public async Task A_pipe_in_the_folder_is_recorded_and_never_opened()
    {
        var fifo = Path.Combine(_library.Inbox, "pipe.jpg");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
        }

        await using var daemon = await InProcessDaemon.StartAsync(_library);
        _library.Drop(SamplePhoto, "good.jpg");

        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1
                  && _library.CountOrZero("SELECT count(*) FROM files WHERE status = 'rejected'") == 1,
            "the photo analysed and the pipe recorded");
        Assert.Contains("not a regular file", _library.Scalar<string>("SELECT error FROM files WHERE path = @fifo", new { fifo }));
    }

    [CorpusFact]
    public async Task A_user_holding_the_write_lock_delays_ingest_but_does_not_fail_it()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library, new Dictionary<string, string?> { ["Database:BusyTimeout"] = "00:00:00.200" });
        _library.Drop(SamplePhoto, "before.jpg");
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "first photo");

        using (var user = new SqliteConnection($"Data Source={_library.DatabasePath};Pooling=False"))
        {
            user.Open();
            using (var begin = user.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }

            _library.Drop(PhotoFactory.CorpusJpegs()[1], "during.jpg");
            await Task.Delay(2000);
            Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos"));
            using var commit = user.CreateCommand();
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
        }

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 2, "second photo after the lock");
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
    }

    [CorpusFact]
    public async Task A_folder_whose_name_is_not_UTF_8_is_reported_at_start_up_not_skipped_in_silence()
    {
        // Made while the daemon is off, so only the start-up scan can find it (Latin-1 "album-été": bytes E9).
        RunShell("d=\"$1/$(printf 'album-\\351t\\351')\"; mkdir \"$d\" && cp \"$0\" \"$d/inside.jpg\"", SamplePhoto, _library.Inbox);
        _library.Drop(SamplePhoto, "readable.jpg");
        try
        {
            await using var daemon = await InProcessDaemon.StartAsync(_library);

            var folder = Path.Combine(_library.Inbox, "album-\uFFFDt\uFFFD");
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM files WHERE status = 'rejected'") == 1, "the folder recorded");
            var (path, error) = _library.Query<(string Path, string Error)>("SELECT path, error FROM files WHERE status = 'rejected'").Single();
            Assert.Equal(folder, path);
            Assert.StartsWith("file name is not valid UTF-8", error, StringComparison.Ordinal);
            Assert.Contains("for a folder: nor can any photo inside it", error, StringComparison.Ordinal);
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "the readable photo analysed");
        }
        finally
        {
            RunShell("rm -rf -- \"$0\"/album-*", _library.Inbox); // .NET cannot delete what it cannot name
        }
    }

    private static void RunShell(string script, params string[] arguments)
    {
        using var shell = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", script, .. arguments]))!;
        shell.WaitForExit();
        Assert.Equal(0, shell.ExitCode);
    }

    public void Dispose() => _library.Dispose();
}
