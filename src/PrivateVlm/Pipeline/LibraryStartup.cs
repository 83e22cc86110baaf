using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.Daemon;
using PrivateVlm.Storage;

namespace PrivateVlm.Pipeline;

/// <summary>
/// Runs before every other hosted service: takes the one-daemon-per-database lock, brings the schema up to date,
/// and returns orphaned jobs to the queue. If any of this fails the host does not start and the process exits
/// non-zero. Disposed last, it settles a database file that was replaced under the daemon (<see cref="OriginalDatabaseFile"/>).
/// </summary>
public sealed partial class LibraryStartup : IHostedService, IDisposable
{
    private readonly LibraryDatabase _database;
    private readonly OriginalDatabaseFile _original;
    private readonly JobQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<LibraryStartup> _logger;
    private DaemonInstanceLock? _lock;

    public LibraryStartup(LibraryDatabase database, OriginalDatabaseFile original, JobQueue queue, TimeProvider time, ILogger<LibraryStartup> logger)
    {
        _database = database;
        _original = original;
        _queue = queue;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _database.EnsureFileExists();
        _lock = DaemonInstanceLock.Acquire(_database.FilePath);
        using (var connection = _database.Open())
        {
            foreach (var migration in SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, _time))
            {
                LogMigrated(_logger, migration.Version, migration.Name);
            }
        }

        _original.Hold(); // in WAL mode now (the migrator sets it), and before any stage writes

        var recovery = await _queue.RecoverAsync(cancellationToken);
        LogStarted(_logger, _database.FilePath, recovery.ReturnedToQueue, recovery.Quarantined, recovery.Backfilled);
        if (recovery.CrashSuspects > 0)
        {
            LogCrashSuspects(_logger, recovery.CrashSuspects);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs once every other service has stopped writing: the log of a database file replaced under the
    /// daemon is emptied while the lock still keeps the next daemon out.</summary>
    public void Dispose()
    {
        if (_lock is not null)
        {
            _original.Settle();
        }

        _lock?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version:D4}_{Name}")]
    private static partial void LogMigrated(ILogger logger, int version, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Path} ready: {Returned} interrupted job(s) back in the queue, {Quarantined} quarantined, {Backfilled} newly queued")]
    private static partial void LogStarted(ILogger logger, string path, int returned, int quarantined, int backfilled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The daemon stopped unexpectedly with {Count} job(s) in flight: they run one at a time first, so a photo that crashes it again is found and the others are not blamed")]
    private static partial void LogCrashSuspects(ILogger logger, int count);
}
