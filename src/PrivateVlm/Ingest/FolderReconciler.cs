using System.IO.Enumeration;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;

namespace PrivateVlm.Ingest;

/// <summary>
/// The source of truth for what is in the folder: a full scan at start-up, after every watcher error (dropped
/// events) and on a timer, comparing the disk with the files table. New or changed files go to the stability gate;
/// recorded files that are gone are marked deleted. Directory symlinks are never followed (loops, escapes).
/// </summary>
public sealed partial class FolderReconciler : BackgroundService
{
    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>();
    private readonly StableFileGate _gate;
    private readonly FileIngestor _ingestor;
    private readonly LibraryDatabase _database;
    private readonly DaemonExit _exit;
    private readonly TimeProvider _time;
    private readonly ILogger<FolderReconciler> _logger;
    private readonly TimeSpan _interval;

    public FolderReconciler(
        StableFileGate gate, FileIngestor ingestor, LibraryDatabase database, DaemonExit exit,
        IOptions<WatchOptions> options, TimeProvider time, ILogger<FolderReconciler> logger)
    {
        _gate = gate;
        _ingestor = ingestor;
        _database = database;
        _exit = exit;
        _interval = options.Value.ReconcileInterval;
        _time = time;
        _logger = logger;
    }

    /// <summary>Completed scans since start (for tests and status).</summary>
    public int ScansCompleted { get; private set; }

    /// <summary>Asks for a scan of the whole folder (or of one sub-folder that appeared).</summary>
    public void RequestScan(string? folder = null) => _requests.Writer.TryWrite(folder ?? _ingestor.Root);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        RequestScan();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timer.CancelAfter(_interval);
                string folder;
                try
                {
                    folder = await _requests.Reader.ReadAsync(timer.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    folder = _ingestor.Root;
                }

                // Coalesce a burst of requests into one scan of the widest folder asked for.
                while (_requests.Reader.TryRead(out var more))
                {
                    if (more == _ingestor.Root || !PhotoFolderRules.IsInside(folder, more))
                    {
                        folder = more == _ingestor.Root || PhotoFolderRules.IsInside(more, folder) ? more : _ingestor.Root;
                    }
                }

                await ScanAsync(folder, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _exit.Fatal("the folder scan failed", e);
        }
    }

    private async Task ScanAsync(string folder, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var problem = FolderAccess.CheckFolder(_ingestor.Root);
        if (problem is not null)
        {
            LogFolderUnreadable(_logger, problem);
            return;
        }

        // Only what the scan must compare: path -> (size, mtime, status). Streams rows, one entry per known file.
        var known = new Dictionary<string, (long Size, string ModifiedAt, bool Settled)>(StringComparer.Ordinal);
        using (var connection = _database.Open())
        {
            foreach (var row in PhotoFileRecords.Known(connection))
            {
                if (PhotoFolderRules.IsInside(folder, row.Path))
                {
                    known[row.Path] = (row.SizeBytes, row.ModifiedAt, row.Status == "present");
                }
            }
        }

        var observed = 0;
        var seen = 0;
        foreach (var (path, size, modified) in Enumerate(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            seen++;
            if (known.Remove(path, out var row) && row.Settled && row.Size == size && row.ModifiedAt == UtcText.From(modified))
            {
                continue;
            }

            observed++;
            _gate.Observe(path);
        }

        foreach (var gone in known.Keys)
        {
            await _ingestor.MarkGoneAsync(gone, cancellationToken);
        }

        ScansCompleted++;
        LogScanned(_logger, folder, seen, observed, known.Count, _time.GetElapsedTime(started).TotalMilliseconds);
    }

    private static IEnumerable<(string Path, long Size, DateTime ModifiedUtc)> Enumerate(string folder)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        return new FileSystemEnumerable<(string, long, DateTime)>(
            folder,
            (ref FileSystemEntry entry) => (entry.ToFullPath(), entry.Length, entry.LastWriteTimeUtc.UtcDateTime),
            options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) =>
                !entry.IsDirectory && !PhotoFolderRules.IsIgnoredName(entry.FileName.ToString()),
            ShouldRecursePredicate = (ref FileSystemEntry entry) =>
                (entry.Attributes & FileAttributes.ReparsePoint) == 0 && !PhotoFolderRules.IsIgnoredName(entry.FileName.ToString()),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scanned {Folder}: {Seen} files, {Observed} new or changed, {Gone} gone, in {Milliseconds:F0} ms")]
    private static partial void LogScanned(ILogger logger, string folder, int seen, int observed, int gone, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The watched folder cannot be read: {Problem}")]
    private static partial void LogFolderUnreadable(ILogger logger, string problem);
}
