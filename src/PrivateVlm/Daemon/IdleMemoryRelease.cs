using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.Interop.Posix;
using PrivateVlm.Storage;

namespace PrivateVlm.Daemon;

/// <summary>
/// Gives memory back once the queue has drained. Decoding a burst of 12 MP photos leaves a large managed heap and
/// native malloc arenas behind, and a process that stops allocating never runs a GC that would shrink them: an idle
/// daemon would keep its peak footprint all night. One compacting collection plus malloc_trim, once per quiet spell.
/// </summary>
public sealed partial class IdleMemoryRelease : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    private readonly LibraryDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<IdleMemoryRelease> _logger;

    private readonly Imaging.ImagePreparation? _imaging;

    public IdleMemoryRelease(LibraryDatabase database, TimeProvider time, ILogger<IdleMemoryRelease> logger, Imaging.ImagePreparation? imaging = null)
    {
        _imaging = imaging;
        _database = database;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? releasedAfter = null;
        using var timer = new PeriodicTimer(Period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var (pending, lastFinished) = Activity();
                if (pending > 0 || lastFinished is null || lastFinished == releasedAfter)
                {
                    continue; // busy, never worked, or already released since the last job
                }

                var before = Environment.WorkingSet;
                _imaging?.ReleaseWorkingImages(); // photos a stage skipped (near-duplicates inherit) leave theirs behind
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                PosixAccess.TrimNativeHeap();
                releasedAfter = lastFinished;
                LogReleased(_logger, before / 1e6, Environment.WorkingSet / 1e6);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private (long Pending, string? LastFinished) Activity()
    {
        try
        {
            using var connection = _database.Open();
            return connection.QueryFirst<(long, string?)>(
                "SELECT (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')), (SELECT max(finished_at) FROM jobs)");
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            return (1, null); // locked or gone: the watchdog and the writers deal with that
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue drained: memory released, working set {Before:F0} MB -> {After:F0} MB")]
    private static partial void LogReleased(ILogger logger, double before, double after);
}
