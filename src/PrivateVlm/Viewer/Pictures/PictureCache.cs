using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace PrivateVlm.Viewer.Pictures;

/// <summary>
/// Rendered pictures on disk, owner-only (folder 0700, files 0600: thumbnails show private photos), keyed by the
/// photo's SHA-256 and size so a renamed or moved photo keeps its thumbnail and another database never sees a wrong
/// one. Total size stays under a cap: past it, the least recently used pictures are deleted down to 90 % of the cap.
/// Files are written under a temporary name and renamed, so a reader (another viewer on the same cache) never sees
/// half a picture. A render for a key runs once however many requests ask for it at the same time.
/// </summary>
public sealed partial class PictureCache
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<byte[]>>> _rendering = new(StringComparer.Ordinal);
    private long _totalBytes;
    private long _clock;

    public PictureCache(string folder, long capBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capBytes, 1);
        Folder = Path.GetFullPath(folder);
        CapBytes = capBytes;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Folder);
        }
        else
        {
            Directory.CreateDirectory(Folder, FolderMode);
            File.SetUnixFileMode(Folder, FolderMode); // an existing folder is narrowed too
        }

        // Pictures from earlier runs: the oldest written is the first to go.
        foreach (var file in new DirectoryInfo(Folder).EnumerateFiles().OrderBy(f => f.LastWriteTimeUtc))
        {
            if (KeyPattern().IsMatch(file.Name))
            {
                _entries[file.Name] = new Entry(file.Length, ++_clock);
                _totalBytes += file.Length;
            }
            else if (file.Name.StartsWith(".tmp-", StringComparison.Ordinal))
            {
                TryDelete(file.FullName); // a write interrupted by a crash
            }
        }

        Evict();
    }

    public string Folder { get; }

    public long CapBytes { get; }

    public long SizeBytes
    {
        get
        {
            lock (_gate)
            {
                return _totalBytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The cache key of a photo's picture: its SHA-256 (64 hex digits, from the database) and the size.</summary>
    public static string Key(string sha256, PictureSize size)
    {
        var key = $"{sha256.ToLowerInvariant()}-{(size == PictureSize.Thumbnail ? "thumb" : "preview")}.jpg";
        return KeyPattern().IsMatch(key) ? key : throw new ArgumentException($"not a SHA-256: {sha256}", nameof(sha256));
    }

    /// <summary>The cached bytes for <paramref name="key"/>, or what <paramref name="render"/> makes (then stored).</summary>
    public async Task<byte[]> GetOrAddAsync(string key, Func<Task<byte[]>> render, CancellationToken cancellationToken)
    {
        if (!KeyPattern().IsMatch(key))
        {
            throw new ArgumentException($"not a picture cache key: {key}", nameof(key));
        }

        if (TryRead(key) is { } cached)
        {
            return cached;
        }

        var shared = _rendering.GetOrAdd(key, k => new Lazy<Task<byte[]>>(() => RenderAndStoreAsync(k, render)));
        try
        {
            return await shared.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (shared.Value.IsCompleted)
            {
                _rendering.TryRemove(new KeyValuePair<string, Lazy<Task<byte[]>>>(key, shared));
            }
        }
    }

    private async Task<byte[]> RenderAndStoreAsync(string key, Func<Task<byte[]>> render)
    {
        var bytes = await render().ConfigureAwait(false);
        Store(key, bytes);
        return bytes;
    }

    private byte[]? TryRead(string key)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return null;
            }

            _entries[key] = entry with { LastUse = ++_clock };
        }

        try
        {
            return File.ReadAllBytes(Path.Combine(Folder, key));
        }
        catch (Exception e) when (e is FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            Forget(key); // evicted by another viewer sharing the folder, or removed by hand
            return null;
        }
    }

    private void Store(string key, byte[] bytes)
    {
        var target = Path.Combine(Folder, key);
        var temporary = Path.Combine(Folder, $".tmp-{Guid.NewGuid():N}");
        try
        {
            var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = FileMode;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a removed folder costs the cache, never the answer.
            TryDelete(temporary);
            return;
        }

        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                _totalBytes -= old.Size;
            }

            _entries[key] = new Entry(bytes.Length, ++_clock);
            _totalBytes += bytes.Length;
        }

        Evict();
    }

    private void Evict()
    {
        List<string> victims;
        lock (_gate)
        {
            if (_totalBytes <= CapBytes)
            {
                return;
            }

            victims = [];
            var target = CapBytes / 10 * 9;
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.LastUse).ToList())
            {
                if (_totalBytes <= target)
                {
                    break;
                }

                _entries.Remove(key);
                _totalBytes -= entry.Size;
                victims.Add(key);
            }
        }

        foreach (var key in victims)
        {
            TryDelete(Path.Combine(Folder, key));
        }
    }

    private void Forget(string key)
    {
        lock (_gate)
        {
            if (_entries.Remove(key, out var entry))
            {
                _totalBytes -= entry.Size;
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex("^[0-9a-f]{64}-(thumb|preview)\\.jpg$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    private readonly record struct Entry(long Size, long LastUse);
}
