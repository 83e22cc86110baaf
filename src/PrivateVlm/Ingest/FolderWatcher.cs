using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.Ingest;

/// <summary>
/// FileSystemWatcher as a hint only: its events are often duplicated, reordered, merged or dropped (FSEvents on
/// macOS), so each one is just a path to re-stat. Handlers only enqueue (they run on the watcher's shared thread);
/// an error asks the reconciler for a full scan, which is what guarantees nothing is missed.
/// </summary>
public sealed partial class FolderWatcher : BackgroundService
{
    private readonly Channel<FileSystemEventArgs> _events = Channel.CreateUnbounded<FileSystemEventArgs>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StableFileGate _gate;
    private readonly FileIngestor _ingestor;
    private readonly FolderReconciler _reconciler;
    private readonly ILogger<FolderWatcher> _logger;

    public FolderWatcher(StableFileGate gate, FileIngestor ingestor, FolderReconciler reconciler, ILogger<FolderWatcher> logger)
    {
        _gate = gate;
        _ingestor = ingestor;
        _reconciler = reconciler;
        _logger = logger;
    }

    private FileSystemWatcher? _watcher;

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
        _watcher.Created += (_, e) => _events.Writer.TryWrite(e);
        _watcher.Changed += (_, e) => _events.Writer.TryWrite(e);
        _watcher.Deleted += (_, e) => _events.Writer.TryWrite(e);
        _watcher.Renamed += (_, e) => _events.Writer.TryWrite(e);
        _watcher.Error += (_, e) =>
        {
            LogWatcherError(_logger, e.GetException().Message);
            _reconciler.RequestScan();
        };
        _watcher.EnableRaisingEvents = true;
        return base.StartAsync(cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "File watcher error ({Reason}); rescanning the whole folder")]
    private static partial void LogWatcherError(ILogger logger, string reason);
}
