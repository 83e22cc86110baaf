using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using PrivateVlm.Interop.Posix;

namespace PrivateVlm.Storage;

/// <summary>
/// SQLite keeps a database's recent commits in NAME-wal until a checkpoint copies them into the file. When the file at
/// NAME is replaced (a backup restored over it) or deleted while the daemon runs, NAME-wal still holds pages of the
/// file the daemon started with, and the next connection to NAME lays them over whatever file is there now: SQLite
/// cannot tell the two apart ("mispairing database files and hot journals" in its list of ways to corrupt a
/// database). So a handle opened on the original file at start-up, which stays bound to it whatever happens to the
/// name, empties that log into the original file once the daemon has stopped writing, leaving the log at NAME-wal
/// empty for the next daemon. The handle is then never closed: SQLite's last close deletes NAME-wal and NAME-shm by
/// name, and by then those may belong to the new file (a backup restored with its own log). Staying open, it also
/// keeps the daemon's pooled connections, closed when the process exits, from being that last close.
/// </summary>
public sealed partial class OriginalDatabaseFile(LibraryDatabase database, ILogger<OriginalDatabaseFile> logger)
{
    // Reachable until the process ends, so no finalizer closes a handle that settled a replaced file.
    private static readonly List<SqliteConnection> NeverClosed = [];
    private SqliteConnection? _handle;
    private ulong? _identity;

    /// <summary>Opens the handle on the file now at the database's name: at start-up, once the database is in WAL mode
    /// (a handle that first read it in rollback mode would not checkpoint its log) and before any stage writes.</summary>
    public void Hold()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // replacing a file in use is refused there
        }

        _identity = PosixAccess.Inode(database.FilePath);
        _handle = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = database.FilePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        _handle.Open();

        // SQLite opens NAME-wal by name on a connection's first read: read now, so the log this handle settles later is
        // the original file's even if a backup is restored together with a log of its own.
        using var read = _handle.CreateCommand();
        read.CommandText = "SELECT count(*) FROM sqlite_master";
        read.ExecuteScalar();
    }

    /// <summary>
    /// After the daemon's last write, and before it lets go of its instance lock: when the name no longer leads to
    /// the file held, copies every logged page into that file and truncates the log. Otherwise only lets go.
    /// </summary>
    public void Settle()
    {
        if (_handle is not { } handle)
        {
            return;
        }

        _handle = null;
        var now = PosixAccess.Inode(database.FilePath);
        if (now == _identity)
        {
            handle.Dispose(); // still the same file: its log belongs to it
            return;
        }

        NeverClosed.Add(handle);
        try
        {
            using var wait = handle.CreateCommand();
            wait.CommandText = $"PRAGMA busy_timeout = {(int)database.BusyTimeout.TotalMilliseconds}";
            wait.ExecuteNonQuery();
            using var checkpoint = handle.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var result = checkpoint.ExecuteReader();
            result.Read();
            if (result.GetInt64(0) != 0)
            {
                LogNotSettled(logger, database.FilePath, "another connection was still using it");
                return;
            }

            LogSettled(logger, database.FilePath, result.GetInt64(2), now is null ? "deleted" : "replaced");
        }
        catch (SqliteException e)
        {
            LogNotSettled(logger, database.FilePath, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database file {Path} was {What}: {Pages} logged page(s) of the file this daemon started with were written into that file, and its write-ahead log emptied so the file now at that name does not meet them")]
    private static partial void LogSettled(ILogger logger, string path, long pages, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database file {Path} was replaced or deleted, and the write-ahead log of the file this daemon started with could not be emptied ({Reason}): move {Path}-wal and {Path}-shm away before starting the daemon again")]
    private static partial void LogNotSettled(ILogger logger, string path, string reason);
}
