using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Daemon;
using PrivateVlm.Interop.Posix;
using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;

namespace PrivateVlm.Ingest;

/// <summary>
/// Turns a stable path into a photo: content identity by SHA-256 (identical bytes are one photo, analysed once),
/// a files row for the path (a move updates the path without re-analysis), and the first stages' jobs for new
/// content. Files that cannot become photos (empty, unreadable, symlinked out of the root) keep a clear error.
/// </summary>
public sealed partial class FileIngestor : BackgroundService
{
    private readonly StableFileGate _gate;
    private readonly LibraryDatabase _database;
    private readonly JobQueue _queue;
    private readonly JobSignals _signals;
    private readonly DaemonExit _exit;
    private readonly TimeProvider _time;
    private readonly ILogger<FileIngestor> _logger;
    private readonly WatchOptions _options;

    public FileIngestor(
        StableFileGate gate, LibraryDatabase database, JobQueue queue, JobSignals signals, DaemonExit exit,
        IOptions<WatchOptions> options, TimeProvider time, ILogger<FileIngestor> logger)
    {
        _gate = gate;
        _database = database;
        _queue = queue;
        _signals = signals;
        _exit = exit;
        _options = options.Value;
        Root = WatchedRoot.Resolve(options.Value);
        _time = time;
        _logger = logger;
    }

    /// <summary>The watched folder, fully resolved (symlinks in its own path followed once).</summary>
    public string Root { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = Enumerable.Range(0, Math.Max(1, _options.HashConcurrency))
            .Select(_ => Task.Run(() => ConsumeAsync(stoppingToken), CancellationToken.None));
        await Task.WhenAll(workers);
    }

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        const int maxBatch = 32;
        var batch = new List<string>(maxBatch);
        try
        {
            while (await _gate.WaitForStableAsync(stoppingToken))
            {
                // Whatever became stable together is recorded in one transaction: a burst of drops costs one commit
                // per batch, not per photo.
                batch.Clear();
                while (batch.Count < maxBatch && _gate.TryTakeStable(out var path))
                {
                    batch.Add(path);
                }

                await IngestAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _exit.Fatal("ingest could not write to the database", e);
        }
    }

    /// <summary>Ingests paths that passed the stability gate.</summary>
    public async Task IngestAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>(paths.Count);
        foreach (var path in paths)
        {
            if (await ExamineAsync(path, cancellationToken) is { } finding)
            {
                findings.Add(finding);
            }
        }

        if (findings.Count == 0)
        {
            return;
        }

        var queued = await _database.WriteAsync((connection, transaction) =>
        {
            var now = UtcText.From(_time.GetUtcNow());
            var stages = new HashSet<string>(StringComparer.Ordinal);
            foreach (var finding in findings)
            {
                if (finding.Verdict is { Kind: FolderFileKind.Ignored } ignored)
                {
                    var still = ignored.StillPath is { } stillPath ? PhotoFileRecords.FindByPath(connection, stillPath, transaction)?.PhotoId : null;
                    PhotoFileRecords.UpsertCompanion(connection, transaction, finding.Path, finding.Seen, "ignored", ignored.Reason, still, now);
                }
                else if (finding.Verdict is { Kind: FolderFileKind.Sidecar })
                {
                    stages.UnionWith(RecordSidecar(connection, transaction, finding.Path, finding.Seen, now));
                }
                else if (finding.Sha256 is { } sha256)
                {
                    stages.UnionWith(RecordPhoto(connection, transaction, finding.Path, finding.Seen, sha256, now));
                    if (finding.Companions.Count > 0)
                    {
                        var photoId = PhotoFileRecords.FindByPath(connection, finding.Path, transaction)?.PhotoId;
                        if (photoId is { } id)
                        {
                            PhotoFileRecords.LinkCompanions(connection, transaction, id, finding.Companions);
                        }
                    }
                }
                else
                {
                    PhotoFileRecords.Upsert(connection, transaction, finding.Path, null, finding.Seen, "rejected", finding.Error, now);
                }
            }

            return stages;
        }, cancellationToken);

        foreach (var finding in findings.Where(f => f.Error is not null && f.Error != f.PreviousError))
        {
            LogRejected(_logger, finding.Path, finding.Error!);
        }

        foreach (var finding in findings.Where(f => f.Verdict is { Kind: FolderFileKind.Ignored } && f.Verdict.Reason != f.PreviousError))
        {
            LogIgnored(_logger, finding.Path, finding.Verdict!.Reason!);
        }

        // A file deleted after it was hashed but before this commit: its watcher event came while there was no row to
        // mark, so nothing else would notice until the next full scan. Look once more now that the row exists.
        foreach (var finding in findings.Where(f => f.Sha256 is not null && !StillThere(f.Path)))
        {
            await MarkGoneAsync(finding.Path, cancellationToken);
        }

        foreach (var stage in queued)
        {
            _signals.Pulse(stage);
        }
    }

    /// <summary>Everything about one path that can be learnt outside the write transaction (stat, checks, hash).</summary>
    private async Task<Finding?> ExamineAsync(string path, CancellationToken cancellationToken)
    {
        if (PhotoFolderRules.IsIgnoredPath(Root, path))
        {
            return null;
        }

        var seen = FileObservation.Of(path);
        if (seen is null)
        {
            await MarkGoneAsync(path, cancellationToken);
            return null;
        }

        var existing = Read(c => PhotoFileRecords.FindByPath(c, path));
        if ((existing is { Status: "present", PhotoId: not null } || existing is { Status: "ignored" or "sidecar" })
            && existing.SizeBytes == seen.Value.Size && existing.ModifiedAt == UtcText.From(seen.Value.ModifiedUtc))
        {
            return null; // unchanged since we last read it (an ignored file is recorded once)
        }

        Finding Rejected(string error) => new(path, seen.Value, null, error, existing?.Error);
        var problem = CheckName(path)
            ?? CheckSymlink(path)
            ?? (!OperatingSystem.IsWindows() && PosixAccess.IsRegularFile(path) == false ? "not a regular file (a pipe, socket or device); not read" : null);
        if (problem is not null)
        {
            return Rejected(problem);
        }

        // Only a regular file's first bytes are read to tell a photo from a note, a video or a sidecar: never hashed.
        var verdict = NonPhotoFiles.Classify(path);
        if (verdict.Kind != FolderFileKind.Photo)
        {
            return new Finding(path, seen.Value, null, null, existing?.Error) { Verdict = verdict };
        }

        if (seen.Value.Size == 0)
        {
            return Rejected("empty file (0 bytes)");
        }

        string sha256;
        try
        {
            sha256 = await HashAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            await MarkGoneAsync(path, cancellationToken);
            return null;
        }
        catch (UnauthorizedAccessException e)
        {
            return Rejected(FolderAccess.Explain(path, e));
        }
        catch (IOException e)
        {
            return Rejected($"could not read the file: {e.Message}");
        }

        if (FileObservation.Of(path) != seen)
        {
            _gate.Observe(path); // it changed while we hashed it: wait for it to settle again
            return null;
        }

        // Sidecars and Live Photo videos recorded before their photo are linked to it once it exists.
        var companions = XmpSidecar.Candidates(path).Concat(NonPhotoFiles.LivePhotoVideoCandidates(path)).Where(File.Exists).ToList();
        return new Finding(path, seen.Value, sha256, null, existing?.Error) { Companions = companions };
    }

    /// <summary>
    /// Records an XMP sidecar against the photos of its name and has their metadata read again, so an edit in
    /// darktable or Lightroom reaches L0. Returns the stages queued.
    /// </summary>
    private IReadOnlyList<string> RecordSidecar(SqliteConnection connection, SqliteTransaction transaction, string path, FileObservation seen, string now)
    {
        var photoIds = XmpSidecar.PhotosOf(path)
            .Select(photo => PhotoFileRecords.FindByPath(connection, photo, transaction))
            .Where(row => row is { Status: "present", PhotoId: not null })
            .Select(row => row!.PhotoId!.Value)
            .Distinct()
            .ToList();
        PhotoFileRecords.UpsertCompanion(connection, transaction, path, seen, "sidecar",
            photoIds.Count == 0 ? "XMP sidecar without its photo (yet); read with the photo of its name when that arrives" : null,
            photoIds.Count == 0 ? null : photoIds[0], now);
        var requeued = false;
        foreach (var photoId in photoIds)
        {
            if (_queue.Requeue(connection, transaction, photoId, MetadataStage.StageName, "XMP sidecar changed: " + Path.GetFileName(path)))
            {
                LogSidecarChanged(_logger, photoId, path);
                requeued = true;
            }
        }

        return requeued ? [MetadataStage.StageName] : [];
    }

    /// <summary>Records that <paramref name="path"/> holds the content <paramref name="sha256"/>; returns the stages
    /// queued when the content is new.</summary>
    private IReadOnlyList<string> RecordPhoto(
        SqliteConnection connection, SqliteTransaction transaction, string path, FileObservation seen, string sha256, string now)
    {
        var (photoId, created) = PhotoFileRecords.UpsertPhoto(connection, transaction, sha256, seen.Size, now);
        var current = PhotoFileRecords.FindByPath(connection, path, transaction);
        var moved = current is null
            ? PhotoFileRecords.OtherPathsOf(connection, transaction, photoId, path).FirstOrDefault(r => !File.Exists(r.Path))
            : null;
        if (moved is not null)
        {
            PhotoFileRecords.MovePath(connection, transaction, moved.Id, path, seen, now);
            LogMoved(_logger, photoId, moved.Path, path);
        }
        else
        {
            PhotoFileRecords.Upsert(connection, transaction, path, photoId, seen, "present", null, now);
        }

        if (!created)
        {
            return [];
        }

        LogNewPhoto(_logger, photoId, path);
        return _queue.EnqueueReadyStages(connection, transaction, photoId);
    }

    /// <summary>Marks a path (or, for a folder, every recorded path under it) deleted when it is really gone.
    /// Results stay with the photo.</summary>
    public async Task MarkGoneAsync(string path, CancellationToken cancellationToken)
    {
        if (StillThere(path))
        {
            _gate.Observe(path);
            return;
        }

        var candidates = Read(c =>
            PhotoFileRecords.FindByPath(c, path) is not null ? [path] : PhotoFileRecords.PathsUnder(c, path));
        var gone = candidates.Where(p => !StillThere(p)).ToList();
        if (gone.Count == 0)
        {
            return;
        }

        await _database.WriteAsync((connection, transaction) =>
        {
            var now = UtcText.From(_time.GetUtcNow());
            foreach (var p in gone)
            {
                if (PhotoFileRecords.MarkDeleted(connection, transaction, p, now) > 0)
                {
                    LogDeleted(_logger, p);
                }
            }
        }, cancellationToken);
    }

    /// <summary>File.Exists, or a name .NET cannot decode that still exists under its raw bytes.</summary>
    private static bool StillThere(string path) =>
        File.Exists(path) || (UndecodableFileNames.LooksUndecoded(path) && UndecodableFileNames.Stat(path) is not null);

    /// <summary>
    /// A name that is not valid UTF-8 (Linux only: macOS requires UTF-8) cannot be opened by .NET, MetadataExtractor or
    /// libvips under any string, so it cannot become a photo in place, nor can a folder so named be entered. It is recorded under the name .NET shows, each
    /// undecodable byte as U+FFFD, with the fix; after a rename it is read like any other file.
    /// </summary>
    private static string? CheckName(string path) =>
        UndecodableFileNames.LooksUndecoded(path) && !File.Exists(path) && !Directory.Exists(path)
            ? "file name is not valid UTF-8 (shown here with U+FFFD for each undecodable byte), so it cannot be " +
              "opened by name (for a folder: nor can any photo inside it); rename it to UTF-8 " +
              "(e.g. convmv -f latin1 -t utf-8 --notest NAME) and it is read like any other photo"
            : null;

    private string? CheckSymlink(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null)
        {
            return null;
        }

        FileSystemInfo? target;
        try
        {
            target = info.ResolveLinkTarget(returnFinalTarget: true);
        }
        catch (IOException e)
        {
            return $"symlink cannot be resolved ({e.Message}): a loop?";
        }

        if (target is null || !target.Exists)
        {
            return "broken symlink: its target does not exist";
        }

        return PhotoFolderRules.IsInside(Root, target.FullName)
            ? null
            : $"symlink points outside the watched folder ({target.FullName}); not followed";
    }

    /// <summary>
    /// SHA-256 of the file's content, read synchronously in large chunks: async file reads on Unix go through the
    /// thread pool one small buffer at a time, which cost more than the hashing itself for typical photo sizes.
    /// </summary>
    private static Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return Task.FromResult(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private T Read<T>(Func<SqliteConnection, T> query)
    {
        using var connection = _database.Open();
        return query(connection);
    }

    /// <summary>A path examined outside the transaction: its content hash, or why it cannot become a photo.</summary>
    private sealed record Finding(string Path, FileObservation Seen, string? Sha256, string? Error, string? PreviousError)
    {
        /// <summary>Set when the file is not a photo (ignored, or an XMP sidecar).</summary>
        public FolderFileVerdict? Verdict { get; init; }

        /// <summary>Sidecars and Live Photo videos beside a photo, to link to it.</summary>
        public IReadOnlyList<string> Companions { get; init; } = [];
    }

    // Debug, not Information: a line per photo is 100,000 lines for a first scan of a library, and writing them was 5%
    // of the daemon's CPU ingesting a folder (l0-throughput profile). Scans log their totals.
    [LoggerMessage(Level = LogLevel.Debug, Message = "New photo {PhotoId}: {Path}")]
    private static partial void LogNewPhoto(ILogger logger, long photoId, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Photo {PhotoId} moved: {From} -> {To}")]
    private static partial void LogMoved(ILogger logger, long photoId, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "File deleted: {Path} (its results are kept)")]
    private static partial void LogDeleted(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Not a photo, ignored: {Path}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "XMP sidecar changed, photo {PhotoId}'s metadata is read again: {Path}")]
    private static partial void LogSidecarChanged(ILogger logger, long photoId, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "File not ingested: {Path}: {Error}")]
    private static partial void LogRejected(ILogger logger, string path, string error);
}
