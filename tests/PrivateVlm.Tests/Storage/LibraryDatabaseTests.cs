using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Storage;

public sealed class LibraryDatabaseTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly LibraryDatabase _database;

    public LibraryDatabaseTests()
    {
        _database = MigratedDatabase.Create(_library.DatabasePath, TimeSpan.FromMilliseconds(200), TimeProvider.System);
    }

    [Theory]
    [InlineData("INSERT INTO photos (sha256, size_bytes, first_seen_at) VALUES ('x', 1, 'now')")]
    [InlineData("DELETE FROM photos")]
    [InlineData("DROP TABLE jobs")]
    [InlineData("CREATE TABLE mine (x)")]
    [InlineData("PRAGMA journal_mode = DELETE")]
    public void Read_only_connections_cannot_change_the_database(string sql)
    {
        using var connection = _database.OpenReadOnly();

        Assert.Throws<SqliteException>(() => connection.Execute(sql));

        using var check = _database.Open();
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE name = 'jobs'"));
        Assert.Equal("wal", check.ExecuteScalar<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task A_write_waits_for_another_processes_transaction_instead_of_failing()
    {
        // A user in sqlite3 typing BEGIN IMMEDIATE holds the write lock longer than the busy timeout (200 ms here).
        using var user = new SqliteConnection($"Data Source={_library.DatabasePath};Pooling=False");
        user.Open();
        user.Execute("BEGIN IMMEDIATE");
        var clock = Stopwatch.StartNew();

        var write = _database.WriteAsync(
            (c, t) => c.Execute("INSERT INTO photos (sha256, size_bytes, first_seen_at) VALUES ('abc', 1, 'now')", transaction: t),
            CancellationToken.None);
        await Task.Delay(1000);
        Assert.False(write.IsCompleted, "the write should still be waiting for the user's lock");
        user.Execute("COMMIT");
        await write.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1));
        using var check = _database.Open();
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT count(*) FROM photos WHERE sha256 = 'abc'"));
    }

    [Fact]
    public void The_database_file_is_readable_by_its_owner_only()
    {
        var mode = File.GetUnixFileMode(_library.DatabasePath);
        var folderMode = File.GetUnixFileMode(Path.GetDirectoryName(_library.DatabasePath)!);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, folderMode);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _library.Dispose();
    }
}
