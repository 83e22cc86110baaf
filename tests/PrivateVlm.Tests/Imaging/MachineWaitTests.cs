using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>
/// A library or decoder missing from the machine never fails a photo: jobs that an older version failed for that
/// reason are put back once by migration 0009 and then run; a photo that is really broken stays failed.
/// </summary>
public sealed class MachineWaitTests : IDisposable
{
    private const string OldLibvipsMissing =
        "VipsUnavailableException: libvips could not be loaded (tried libvips.so.42, /usr/lib/x86_64-linux-gnu/libvips.so.42). " +
        "Install it with `sudo apt install libvips42` or set Imaging:LibvipsPath to the full path of the library.";

    private const string OldNoHevc =
        "cannot decode heif: unable to call thumbnail heif: Error while loading plugin: Support for this compression format " +
        "has not been built in: HEVC (a suitable decoder plugin is libde265) (11.6003): /photos/IMG_0001.HEIC";

    private readonly TempLibrary _library = new();

    public void Dispose() => _library.Dispose();

    [CorpusFact]
    public async Task Jobs_an_older_version_failed_for_a_missing_library_are_put_back_once_and_then_run()
    {
        _library.Drop(Corpus.File("exif-samples/jpg/Canon_40D.jpg"), "good.jpg");
        _library.Drop(Corpus.File("exif-samples/jpg/orientation/landscape_1.jpg"), "second.jpg");
        await using (await InProcessDaemon.StartAsync(_library))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 2,
                "both photos clustered");
        }

        // The database as the previous version left it on a machine without libvips: clustering charged three times
        // and failed for good, migration 0009 not yet applied; one unrelated verdict stays.
        using (var connection = new SqliteConnection($"Data Source={_library.DatabasePath}"))
        {
            connection.Open();
            var ids = connection.Query<long>("SELECT id FROM jobs WHERE stage = 'clustering' ORDER BY photo_id").ToList();
            connection.Execute("DELETE FROM cluster_members");
            connection.Execute("DELETE FROM clusters");
            connection.Execute("DELETE FROM photo_hashes");
            connection.Execute(
                "UPDATE jobs SET state = 'failed', attempts = 3, last_error = @Error WHERE id = @Id",
                new { Error = OldLibvipsMissing, Id = ids[0] });
            connection.Execute(
                "UPDATE jobs SET state = 'failed', attempts = 1, last_error = 'cannot decode jpeg: Premature end of JPEG file: /x.jpg' WHERE id = @Id",
                new { Id = ids[1] });
            connection.Execute("DELETE FROM schema_migrations WHERE version = 9");
        }

        using (var connection = new SqliteConnection($"Data Source={_library.DatabasePath}"))
        {
            connection.Open();
            var applied = SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);
            Assert.Equal([9], applied.Select(m => m.Version));
            Assert.Equal(("queued", 0L), connection.QuerySingle<(string, long)>(
                "SELECT state, attempts FROM jobs WHERE stage = 'clustering' AND last_error LIKE 'put back:%'"));
            Assert.Equal(1L, connection.ExecuteScalar<long>("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'failed'"));

            // Applied once: the daemon's start-up finds nothing pending.
            Assert.Empty(SchemaMigrator.Pending(connection));
        }

        await using (await InProcessDaemon.StartAsync(_library))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 1,
                "the put-back photo clustered on this machine, which has libvips");
        }

        Assert.Equal(1L, _library.Scalar<long>("SELECT count(*) FROM photo_hashes"));
        Assert.Equal("cannot decode jpeg: Premature end of JPEG file: /x.jpg",
            _library.Scalar<string>("SELECT last_error FROM jobs WHERE stage = 'clustering' AND state = 'failed'"));
    }

    [Fact]
    public void The_put_back_migration_recognises_every_old_machine_failure_and_nothing_else()
    {
        var sql = SchemaMigrator.Embedded.Single(m => m.Version == 9).Sql;
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        connection.Execute(
            """
            CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, attempts INTEGER, not_before TEXT, lease_owner TEXT,
                               lease_expires_at TEXT, finished_at TEXT, crash_suspect INTEGER, last_error TEXT, enqueued_at TEXT)
            """);
        string[] machine =
        [
            OldLibvipsMissing,
            OldNoHevc,
            "libvips unavailable: libvips could not be loaded (tried libvips.42.dylib)",
            "VipsUnavailableException: this libvips has no HEIF loader, so HEIC photos cannot be decoded (fix: sudo apt install libvips42 libheif1): /p/a.heic",
        ];
        string[] photo =
        [
            "cannot decode jpeg: VipsJpeg: Premature end of JPEG file: /p/b.jpg",
            "unsupported format: gif: /p/c.gif",
            "timed out after 90 s",
        ];
        foreach (var error in machine.Concat(photo))
        {
            connection.Execute(
                "INSERT INTO jobs (state, attempts, not_before, crash_suspect, last_error, enqueued_at) VALUES ('failed', 3, 'x', 0, @error, '2026-01-01T00:00:00.000Z')",
                new { error });
        }

        connection.Execute(sql);

        Assert.Equal(machine.Length, connection.ExecuteScalar<long>("SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"));
        Assert.Equal(photo.Order(), connection.Query<string>("SELECT last_error FROM jobs WHERE state = 'failed'").Order());
    }

    [Fact]
    public async Task A_decoder_this_machine_lacks_is_said_once_in_the_log_not_once_per_photo()
    {
        // Raws with no embedded preview wait for a libvips built with LibRaw; the orientations only make the files differ.
        foreach (var (name, orientation) in new[] { ("a.dng", 1), ("b.dng", 3), ("c.dng", 6) })
        {
            _library.Write(name, CameraRawPreviewTests.DngShaped(preview: null, orientation));
        }

        var logs = new RecordedLogs();
        await using (await InProcessDaemon.StartAsync(_library, logs: logs))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'queued' AND last_error LIKE '%LibRaw%'") == 3,
                "all three raws wait for a raw decoder",
                TimeSpan.FromMinutes(2),
                () => string.Join("; ", _library.Query<(string, string, string?)>("SELECT stage, state, last_error FROM jobs")));
        }

        var said = logs.Lines.Where(line => line.Level >= LogLevel.Warning && line.Message.Contains("LibRaw", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(said);
        Assert.Contains("clustering cannot run on this machine", line.Message, StringComparison.Ordinal);
        Assert.Equal(3, logs.Lines.Count(l => l.Level == LogLevel.Debug && l.Message.Contains("waits for the machine", StringComparison.Ordinal)));
        Assert.Equal(0L, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
    }
}
