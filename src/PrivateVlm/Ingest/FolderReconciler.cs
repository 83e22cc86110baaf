using System.IO.Enumeration;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Daemon;
using PrivateVlm.Interop.Posix;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;

namespace PrivateVlm.Ingest;

/// <summary>
/// The source of truth for what is in the folder: a full scan at start-up, after every watcher error or overflow
/// (dropped events) and on a timer, comparing the disk with the files table. New or changed files go to the stability
/// gate; recorded files that are gone are marked deleted. Directory symlinks are never followed (loops, escapes).
/// A scan holds at most one batch of paths, whatever the folder's size: the disk is streamed and looked up in the
/// database a batch at a time, the table is walked page by page for deletions, and new paths enter the gate only
/// while it has room, so a first scan of 100,000 photos does not queue 100,000 paths at once.
/// </summary>
public sealed partial class FolderReconciler : BackgroundService
{
    /// <summary>Paths compared per database round trip, and the most paths a scan holds at once.</summary>
    public const int BatchSize = 512;

    /// <summary>A scan waits while the stability gate holds this many paths (ingest drains it).</summary>
    public const int GateBacklogLimit = 4 * BatchSize;

    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>();
    private readonly StableFileGate _gate;
    private readonly FileIngestor _ingestor;
    private readonly LibraryDatabase _database;
    private readonly DaemonExit _exit;
    private readonly TimeProvider _time;
    private readonly ILogger<FolderReconciler> _logger;
    private readonly TimeSpan _interval;
    private int _fullScanRequested;
    private bool _startupScanDone;

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
    public int ScansCompleted => Volatile.Read(ref _scansCompleted);

    private int _scansCompleted;

    /// <summary>What the last completed scan found.</summary>
    public ReconcileSummary? LastScan { get; private set; }

    /// <summary>
    /// Asks for a scan of the whole folder (or of one sub-folder that appeared). Requests for the whole folder made
    /// before the next full scan starts are one request: a watcher overflow asks once per dropped event.
    /// </summary>
    public void RequestScan(string? folder = null)
    {
        folder ??= _ingestor.Root;
        if (folder == _ingestor.Root && Interlocked.Exchange(ref _fullScanRequested, 1) == 1)
        {
            return; // a full scan is already queued and has not started: it will see whatever this caller saw
        }

        _requests.Writer.TryWrite(folder);
    }

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

                if (folder == _ingestor.Root)
                {
                    // Cleared before the walk starts: a request from now on may concern an entry the walk has passed.
                    Volatile.Write(ref _fullScanRequested, 0);
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

        // Files that could not become photos are tried again once per start (a permission fixed, then a restart, as
        // the troubleshooting guide says); afterwards only when they change, so a periodic scan rewrites nothing.
        var retryRejected = !_startupScanDone;
        var tally = new Tally();
        var batch = new List<DiskEntry>(BatchSize);
        foreach (var entry in Enumerate(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Add(entry);
            if (batch.Count == BatchSize)
            {
                await CompareAsync(batch, retryRejected, tally, cancellationToken);
                batch.Clear();
            }
        }

        await CompareAsync(batch, retryRejected, tally, cancellationToken);
        await MarkMissingAsync(folder, tally, cancellationToken);

        if (folder == _ingestor.Root)
        {
            _startupScanDone = true;
        }

        var summary = new ReconcileSummary(folder, tally.Seen, tally.Observed, tally.Gone, tally.LargestBatch, _time.GetElapsedTime(started));
        LastScan = summary;
        Interlocked.Increment(ref _scansCompleted);
        LogScanned(_logger, folder, summary.Seen, summary.Observed, summary.Gone, summary.Elapsed.TotalMilliseconds);
    }

    /// <summary>Looks up one batch of disk entries in a single query; what is new or changed goes to the gate.</summary>
    private async Task CompareAsync(List<DiskEntry> batch, bool retryRejected, Tally tally, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        tally.Seen += batch.Count;
        tally.LargestBatch = Math.Max(tally.LargestBatch, batch.Count);
        Dictionary<string, PhotoFileRecord> recorded;
        using (var connection = _database.Open())
        {
            recorded = PhotoFileRecords.FindMany(connection, batch.Select(e => e.Path)).ToDictionary(r => r.Path, StringComparer.Ordinal);
        }

        var changed = batch.Where(e => !(recorded.TryGetValue(e.Path, out var row) && IsSettled(row, e, retryRejected))).ToList();
        if (changed.Count == 0)
        {
            return;
        }

        await _gate.WaitForRoomAsync(GateBacklogLimit, cancellationToken);
        foreach (var entry in changed)
        {
            tally.Observed++;
            _gate.Observe(entry.Path);
        }
    }

    private static bool IsSettled(PhotoFileRecord row, DiskEntry entry, bool retryRejected) =>
        row.SizeBytes == entry.Size && row.ModifiedAt == UtcText.From(entry.ModifiedUtc)
        && (row.Status is "present" or "ignored" or "sidecar" || (row.Status == "rejected" && !retryRejected));

    /// <summary>Walks the recorded paths under the folder a page at a time and marks those no longer on disk.</summary>
    private async Task MarkMissingAsync(string folder, Tally tally, CancellationToken cancellationToken)
    {
        var prefix = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        var after = prefix;
        while (true)
        {
            IReadOnlyList<string> page;
            using (var connection = _database.Open())
            {
                page = PhotoFileRecords.RecordedPathsAfter(connection, prefix, after, BatchSize);
            }

            if (page.Count == 0)
            {
                return;
            }

            tally.LargestBatch = Math.Max(tally.LargestBatch, page.Count);
            foreach (var path in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!File.Exists(path))
                {
                    tally.Gone++;
                    await _ingestor.MarkGoneAsync(path, cancellationToken);
                }
            }

            after = page[^1];
        }
    }

    private static FileSystemEnumerable<DiskEntry> Enumerate(string folder)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        return new FileSystemEnumerable<DiskEntry>(
            folder,
            (ref FileSystemEntry entry) => new DiskEntry(entry.ToFullPath(), entry.Length, entry.LastWriteTimeUtc.UtcDateTime),
            options)
        {
            // A folder whose name is not UTF-8 cannot be entered by .NET (the recursion skips it without a word), so
            // it is listed like a file: the ingest records it as rejected with the rename that makes its photos readable.
            ShouldIncludePredicate = (ref FileSystemEntry entry) =>
                (!entry.IsDirectory || UndecodableFileNames.LooksUndecoded(entry.FileName.ToString()))
                && !PhotoFolderRules.IsIgnoredName(entry.FileName.ToString()),
            ShouldRecursePredicate = (ref FileSystemEntry entry) =>
                (entry.Attributes & FileAttributes.ReparsePoint) == 0 && !PhotoFolderRules.IsIgnoredName(entry.FileName.ToString()),
        };
    }

    private readonly record struct DiskEntry(string Path, long Size, DateTime ModifiedUtc);

    private sealed class Tally
    {
        public int Seen { get; set; }

        public int Observed { get; set; }

        public int Gone { get; set; }

        public int LargestBatch { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scanned {Folder}: {Seen} files, {Observed} new or changed, {Gone} gone, in {Milliseconds:F0} ms")]
    private static partial void LogScanned(ILogger logger, string folder, int seen, int observed, int gone, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The watched folder cannot be read: {Problem}")]
    private static partial void LogFolderUnreadable(ILogger logger, string problem);
}
