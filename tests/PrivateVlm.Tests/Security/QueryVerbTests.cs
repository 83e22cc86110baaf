using System.Security.Cryptography;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Security;

/// <summary>
/// `privatevlm query` runs the user's SQL as is, on a connection that cannot write: every way SQL can change the
/// database (or write a file next to it) fails and changes nothing, while a SELECT still answers.
/// </summary>
public sealed class QueryVerbTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task Statements_that_would_write_fail_and_change_nothing()
    {
        await using (var daemon = await InProcessDaemon.StartAsync(_library))
        {
            _library.Drop(PhotoFactory.CorpusJpegs()[0]);
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 1, "a photo processed");
        }

        var folder = Path.GetDirectoryName(_library.DatabasePath)!;
        var attached = Path.Combine(folder, "attached.db");
        var copy = Path.Combine(_library.Root, "copy.db");
        string[] writes =
        [
            "DELETE FROM photos",
            "INSERT INTO photos (sha256, size_bytes, first_seen_at) VALUES ('x', 1, 'now')",
            "UPDATE files SET path = '/elsewhere'",
            "DROP TABLE jobs",
            "CREATE TABLE notes (text TEXT)",
            "CREATE TEMP TABLE scratch AS SELECT * FROM photos",
            "SELECT 1; DELETE FROM photos",
            "WITH gone AS (SELECT id FROM photos) DELETE FROM photos WHERE id IN gone",
            "INSERT INTO vlm_search (vlm_search) VALUES ('delete-all')",
            $"ATTACH DATABASE '{attached}' AS other",
            $"ATTACH DATABASE '{attached}' AS other; CREATE TABLE other.t (x)",
            "PRAGMA writable_schema = 1",
            "PRAGMA writable_schema = 1; UPDATE sqlite_master SET sql = 'x' WHERE name = 'photos'",
            "PRAGMA user_version = 99",
            "PRAGMA journal_mode = DELETE",
            "PRAGMA wal_checkpoint(TRUNCATE)",
            "PRAGMA wal_checkpoint",
            "PRAGMA main.journal_mode = OFF",
            "SELECT * FROM photos; PRAGMA writable_schema = ON",
            "PRAGMA query_only = 0; DELETE FROM photos",
            "VACUUM",
            $"VACUUM INTO '{copy}'",
            "REINDEX",
            "ANALYZE",
            "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
        ];

        var before = Snapshot();
        var runs = await Task.WhenAll(writes.Select(sql =>
            DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(60), "query", sql, "--db", _library.DatabasePath)));

        foreach (var (sql, (exitCode, text)) in writes.Zip(runs))
        {
            output.WriteLine($"{sql}\n  exit {exitCode}: {text.Trim()}");
        }

        Assert.All(writes.Zip(runs), run =>
        {
            var (sql, (exitCode, text)) = run;
            Assert.True(exitCode == 1, $"`{sql}` exited {exitCode}: {text}");
            Assert.Contains("privatevlm query: ", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // a message, not a stack trace
        });

        Assert.Equal(before, Snapshot());
        foreach (var side in new[] { "-wal", "-shm" }.Select(suffix => _library.DatabasePath + suffix).Where(File.Exists))
        {
            Assert.Equal((side, UnixFileMode.UserRead | UnixFileMode.UserWrite), (side, File.GetUnixFileMode(side)));
        }

        Assert.False(File.Exists(attached), "ATTACH created a database file");
        Assert.False(File.Exists(copy), "VACUUM INTO wrote a copy");

        // Reading still works, PRAGMAs that only read included.
        string[] reads = ["SELECT count(*) AS photos FROM photo_overview", "PRAGMA user_version", "PRAGMA table_info(photos)", "SELECT name FROM pragma_table_info('photos') LIMIT 1"];
        var answers = await Task.WhenAll(reads.Select(sql => DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(60), "query", sql, "--db", _library.DatabasePath)));
        Assert.All(reads.Zip(answers), read => Assert.True(read.Second.ExitCode == 0, $"`{read.First}`: {read.Second.Output}"));
        Assert.Equal(["photos", "1"], answers[0].Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("sha256", answers[2].Output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    /// <summary>
    /// The database's bytes, the bytes of any write-ahead log, and every other file beside it: anything written would
    /// show. The shared-memory index (-shm) is left out: any reader of a WAL database creates it, and it holds no data.
    /// </summary>
    private string Snapshot()
    {
        var folder = Path.GetDirectoryName(_library.DatabasePath)!;
        var wal = _library.DatabasePath + "-wal";
        var walBytes = File.Exists(wal) ? File.ReadAllBytes(wal) : [];
        return string.Join("\n", Directory.EnumerateFiles(folder)
            .Where(file => !file.EndsWith("-shm", StringComparison.Ordinal) && file != wal)
            .Order(StringComparer.Ordinal)
            .Select(file => $"{Path.GetFileName(file)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))}")
            .Append($"wal {Convert.ToHexStringLower(SHA256.HashData(walBytes))}"));
    }

    public void Dispose() => _library.Dispose();
}
