using Microsoft.Extensions.Hosting;
using PrivateVlm.Interop.Posix;
using PrivateVlm.Storage;

namespace PrivateVlm.Daemon;

/// <summary>
/// Notices the database file being deleted or replaced while the daemon runs. SQLite would carry on writing into
/// the old, unlinked file (and a new file under the old name would meet the old WAL), so results would be lost
/// silently; the daemon stops with a clear error and a non-zero exit instead, empties the old file's WAL on the way
/// out (<see cref="OriginalDatabaseFile"/>), and the service manager restarts it on the file that is there now.
/// Identity is the inode: content cannot tell, since readers share the old WAL index.
/// </summary>
public sealed class DatabaseWatchdog : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    private readonly LibraryDatabase _database;
    private readonly DaemonExit _exit;
    private readonly TimeProvider _time;

    public DatabaseWatchdog(LibraryDatabase database, DaemonExit exit, TimeProvider time)
    {
        _database = database;
        _exit = exit;
        _time = time;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var expected = _database.FileIdentity;
        using var timer = new PeriodicTimer(Period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var actual = PosixAccess.Inode(_database.FilePath);
                var problem = actual is null ? "was deleted while the daemon was running"
                    : actual != expected ? "was replaced by another file while the daemon was running"
                    : null;
                if (problem is not null)
                {
                    var message = $"the database file {_database.FilePath} {problem}";
                    _exit.Fatal(message, new InvalidOperationException(message));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
