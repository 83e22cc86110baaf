using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.Storage;

/// <summary>
/// The SQLite file that is the product's interface. Opens connections with the daemon's pragmas and runs writes in
/// IMMEDIATE transactions that keep waiting (with a log line) while another process holds the write lock: a user
/// sitting in `sqlite3` mid-transaction delays ingest but never fails it.
/// </summary>
public sealed partial class LibraryDatabase
{
    private readonly ILogger<LibraryDatabase> _logger;
    private readonly TimeProvider _time;
    private readonly string _connectionString;

    private readonly long? _maxPages;

    public LibraryDatabase(
        string path, TimeSpan busyTimeout, ILogger<LibraryDatabase> logger, TimeProvider time, double? maxSizeMegabytes = null)
    {
        // SQLite's default page is 4 KiB (since 3.12); the cap is approximate by design.
        _maxPages = maxSizeMegabytes is { } megabytes ? (long)Math.Ceiling(megabytes * 256) : null;
        FilePath = System.IO.Path.GetFullPath(path);
        _logger = logger;
        _time = time;
        BusyTimeout = busyTimeout;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWrite,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        }.ToString();
    }

    public string FilePath { get; }

    public TimeSpan BusyTimeout { get; }

    /// <summary>The inode of the file this daemon opened at start-up (the daemon's database watchdog compares it).</summary>
    public ulong? FileIdentity { get; private set; }

    /// <summary>Creates the folder (owner-only) and an empty database file readable by the user only, before SQLite
    /// creates it with the process umask: photos' metadata and locations are private.</summary>
    public void EnsureFileExists()
    {
        var directory = System.IO.Path.GetDirectoryName(FilePath)!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        if (!File.Exists(FilePath))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using var _ = new FileStream(FilePath, options);
            }
            catch (IOException) when (File.Exists(FilePath))
            {
                // Created concurrently by another process: fine.
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            FileIdentity = Interop.Posix.PosixAccess.Inode(FilePath);
        }
    }

    /// <summary>A read-write connection with the daemon's pragmas. Never creates the file (see
    /// <see cref="EnsureFileExists"/>): a database deleted under the daemon must not silently become a new empty one.</summary>
    public SqliteConnection Open()
    {
        if (!File.Exists(FilePath))
        {
            throw new InvalidOperationException($"the database file {FilePath} was deleted while the daemon was running");
        }

        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragmas = connection.CreateCommand();
        pragmas.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL;"
                              + (_maxPages is { } pages ? $" PRAGMA max_page_count = {pages};" : "");
        pragmas.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// A connection that cannot modify the database: opened read-only by SQLite itself and with query_only set, so
    /// even ATTACH or a PRAGMA cannot write through it.
    /// </summary>
    public SqliteConnection OpenReadOnly()
    {
        if (!File.Exists(FilePath))
        {
            throw new FileNotFoundException($"No PrivateVlm database at {FilePath}. Start the daemon (privatevlm run) first or pass --db.", FilePath);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(BusyTimeout.TotalSeconds),
        }.ToString());
        connection.Open();
        using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA query_only = ON;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// A read-only connection for a reader that needs the current schema (status, clusters): throws
    /// <see cref="SchemaBehindException"/> while the database still waits for the daemon to upgrade it.
    /// </summary>
    public SqliteConnection OpenReadOnlyAtCurrentSchema()
    {
        var connection = OpenReadOnly();
        var pending = SchemaMigrator.Pending(connection);
        if (pending.Count > 0)
        {
            connection.Dispose();
            throw new SchemaBehindException(FilePath, pending);
        }

        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one IMMEDIATE transaction and commits it. While another process holds the
    /// write lock the whole transaction is retried with backoff, for as long as <paramref name="cancellationToken"/>
    /// allows. Any other error rolls back and propagates.
    /// </summary>
    public async Task<T> WriteAsync<T>(
        Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        var waitingSince = (DateTimeOffset?)null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var connection = Open();
                using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
                var result = work(connection, transaction);
                transaction.Commit();
                if (waitingSince is { } since)
                {
                    LogLockReleased(_logger, (_time.GetUtcNow() - since).TotalSeconds);
                }

                return result;
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 13 /* SQLITE_FULL */)
            {
                // SQLite rolled the transaction back: nothing is corrupt. Pause and keep trying; a user freeing space
                // lets the daemon continue where it stopped.
                LogDiskFull(_logger, FilePath, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), _time, cancellationToken);
            }
            catch (SqliteException e) when (IsLockContention(e))
            {
                if (waitingSince is null)
                {
                    waitingSince = _time.GetUtcNow();
                    LogWaitingForLock(_logger, FilePath);
                }

                await Task.Delay(delay, _time, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    public Task WriteAsync(Action<SqliteConnection, SqliteTransaction> work, CancellationToken cancellationToken) =>
        WriteAsync<bool>((c, t) => { work(c, t); return true; }, cancellationToken);

    private static bool IsLockContention(SqliteException e) =>
        e.SqliteErrorCode is 5 /* SQLITE_BUSY */ or 6 /* SQLITE_LOCKED */;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database {Path} is locked by another process (a sqlite3 session?); waiting")]
    private static partial void LogWaitingForLock(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Disk full writing {Path} ({Reason}); pausing writes until space is freed")]
    private static partial void LogDiskFull(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database lock released after {Seconds:F1} s; continuing")]
    private static partial void LogLockReleased(ILogger logger, double seconds);
}
