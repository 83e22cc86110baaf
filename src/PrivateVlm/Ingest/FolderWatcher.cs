using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PrivateVlm.Ingest;

/// <summary>
/// FileSystemWatcher as a hint only: its events are often duplicated, reordered, merged or dropped (FSEvents on
/// macOS), so each one is just a path to re-stat. Handlers only enqueue (they run on the watcher's shared thread);
/// an error, or more events than the backlog holds, asks the reconciler for a full scan, which is what guarantees
/// nothing is missed.
/// </summary>
public sealed partial class FolderWatcher : BackgroundService
{
    private readonly Channel<FileSystemEventArgs> _events;
    private readonly StableFileGate _gate;
    private readonly FileIngestor _ingestor;
    private readonly FolderReconciler _reconciler;
    private readonly ILogger<FolderWatcher> _logger;
    private readonly int _backlog;
    private int _overflows;
    private int _dropping;

    public FolderWatcher(
        StableFileGate gate, FileIngestor ingestor, FolderReconciler reconciler, IOptions<WatchOptions> options, ILogger<FolderWatcher> logger)
    {
        _gate = gate;
        _ingestor = ingestor;
        _reconciler = reconciler;
        _logger = logger;
        _backlog = Math.Max(1, options.Value.EventBacklog);
        _events = Channel.CreateBounded<FileSystemEventArgs>(new BoundedChannelOptions(_backlog) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    private FileSystemWatcher? _watcher;

    /// <summary>Times events were lost since start (the kernel's queue or our backlog overflowed); each one was
    /// followed by a full rescan.</summary>
    public int Overflows => Volatile.Read(ref _overflows);

    /// <summary>
    /// Enables the watcher before the host starts the reconciler (it is registered first), so every file is either
    /// there for the start-up scan or seen by the watcher: nothing dropped during start-up waits for the next scan.
    /// ExecuteAsync runs in the background, too late for that.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _watcher = new FileSystemWatcher(_ingestor.Root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.LastWrite,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Created += (_, e) => Enqueue(e);
        _watcher.Changed += (_, e) => Enqueue(e);
        _watcher.Deleted += (_, e) => Enqueue(e);
        _watcher.Renamed += (_, e) => Enqueue(e);
        _watcher.Error += (_, e) => WatcherFailed(e.GetException());
        _watcher.EnableRaisingEvents = true;
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Runs on the watcher's thread: never blocks it, or the kernel's queue is what overflows next.</summary>
    private void Enqueue(FileSystemEventArgs change)
    {
        if (_events.Writer.TryWrite(change))
        {
            return;
        }

        // Full: this event and those after it are dropped until the backlog drains; each drop asks for a full scan
        // (one queued scan absorbs them all), so a file whose event was dropped is found by a scan started later.
        if (Interlocked.Exchange(ref _dropping, 1) == 0)
        {
            Overflowed($"more than {_backlog} events waiting");
        }
        else
        {
            _reconciler.RequestScan();
        }
    }

    private void WatcherFailed(Exception error)
    {
        if (error is InternalBufferOverflowException)
        {
            Overflowed(error.Message);
            return;
        }

        LogWatcherError(_logger, error.Message);
        _reconciler.RequestScan();
    }

    private void Overflowed(string reason)
    {
        var count = Interlocked.Increment(ref _overflows);
        LogOverflow(_logger, reason, count);
        _reconciler.RequestScan();
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in _events.Reader.ReadAllAsync(stoppingToken))
            {
                await HandleAsync(change, stoppingToken);
                if (_events.Reader.Count == 0)
                {
                    Volatile.Write(ref _dropping, 0); // caught up: a later overflow is a new one, logged and counted
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(FileSystemEventArgs change, CancellationToken cancellationToken)
    {
        if (change is RenamedEventArgs renamed)
        {
            await _ingestor.MarkGoneAsync(renamed.OldFullPath, cancellationToken);
        }

        var path = change.FullPath;
        if (PhotoFolderRules.IsIgnoredPath(_ingestor.Root, path))
        {
            return;
        }

        if (change.ChangeType == WatcherChangeTypes.Deleted)
        {
            await _ingestor.MarkGoneAsync(path, cancellationToken);
        }
        else if (Directory.Exists(path))
        {
            // A folder moved or copied in arrives as one event for the folder: scan what it holds.
            if (new DirectoryInfo(path).LinkTarget is null)
            {
                _reconciler.RequestScan(path);
            }
        }
        else
        {
            _gate.Observe(path);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "File watcher overflow ({Reason}): events were lost, rescanning the whole folder (overflow {Count} since start)")]
    private static partial void LogOverflow(ILogger logger, string reason, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "File watcher error ({Reason}); rescanning the whole folder")]
    private static partial void LogWatcherError(ILogger logger, string reason);
}
