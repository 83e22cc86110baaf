using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Viewer.Library;

/// <summary>
/// Every photo that still has a file, newest capture first, with the facts the grid filters on (capture day, camera),
/// held in memory. Ordering 100,000 photos by capture time needs a full scan (there is no index on taken_at_local),
/// too slow for every page; so the scan runs once, and again in the background when another connection committed
/// (SQLite's data_version), at most every <see cref="CheckInterval"/> and never more often than ten times the last
/// scan took, so a viewer open beside a daemon ingesting a big library spends at most about a tenth of a core on it. A
/// page then costs a slice of an array and a primary-key lookup per tile. While the daemon ingests, the grid trails
/// the database by that interval (a second for a small library, several for 100,000 photos).
/// </summary>
public sealed class PhotoTimeline : IDisposable
{
    private readonly LibraryDatabase _database;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private SqliteConnection? _watcher;
    private TimelineSnapshot? _current;
    private long _builtFromVersion = -1;
    private DateTimeOffset _lastCheck;
    private Task? _rebuilding;
    private TimeSpan _lastBuild;

    public PhotoTimeline(LibraryDatabase database, TimeProvider time, TimeSpan? checkInterval = null)
    {
        _database = database;
        _time = time;
        CheckInterval = checkInterval ?? TimeSpan.FromSeconds(1);
    }

    public TimeSpan CheckInterval { get; }

    /// <summary>The latest complete timeline; the first call builds it, later calls may start a rebuild and return
    /// the previous one meanwhile.</summary>
    public TimelineSnapshot Current()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var interval = TimeSpan.FromTicks(Math.Max(CheckInterval.Ticks, _lastBuild.Ticks * 10));
            if (_current is not null && (now - _lastCheck < interval || _rebuilding is { IsCompleted: false }))
            {
                return _current;
            }

            _lastCheck = now;
            var version = DataVersion();
            if (_current is not null && version == _builtFromVersion)
            {
                return _current;
            }

            if (_current is null)
            {
                _current = Build();
                _builtFromVersion = version;
                return _current;
            }

            _rebuilding = Task.Run(() =>
            {
                var next = Build();
                lock (_gate)
                {
                    _current = next;
                    _builtFromVersion = version;
                }
            });
            return _current;
        }
    }

    private long DataVersion()
    {
        try
        {
            // data_version changes when another connection commits; it needs one connection kept for the comparison.
            _watcher ??= _database.OpenReadOnly();
            return _watcher.ExecuteScalar<long>("PRAGMA data_version");
        }
        catch (SqliteException)
        {
            _watcher?.Dispose();
            _watcher = null;
            return -2; // unknown: rebuild
        }
    }

    private TimelineSnapshot Build()
    {
        var started = _time.GetTimestamp();
        using var connection = _database.OpenReadOnly();
        var rows = connection.Query<(long PhotoId, string? TakenAt, string? Make, string? Model)>(
            """
            SELECT p.id, m.taken_at_local, m.camera_make, m.camera_model
            FROM photos p LEFT JOIN photo_metadata m ON m.photo_id = p.id
            WHERE p.id IN (SELECT photo_id FROM files WHERE status = 'present')
            """, buffered: false);
        var cameras = new Dictionary<string, int>(StringComparer.Ordinal);
        var entries = new List<TimelineEntry>();
        foreach (var row in rows)
        {
            var camera = CameraName(row.Make, row.Model);
            var index = -1;
            if (camera is not null && !cameras.TryGetValue(camera, out index))
            {
                index = cameras.Count;
                cameras[camera] = index;
            }

            entries.Add(new TimelineEntry(row.PhotoId, row.TakenAt, index, DayNumber(row.TakenAt)));
        }

        var sorted = entries.ToArray();
        Array.Sort(sorted, NewestFirst);
        _lastBuild = _time.GetElapsedTime(started);
        return new TimelineSnapshot(sorted, cameras.OrderBy(c => c.Value).Select(c => c.Key).ToArray(), _time.GetUtcNow());
    }

    /// <summary>Newest capture first; photos without a capture time last; ties by the newest photo id.</summary>
    private static int NewestFirst(TimelineEntry a, TimelineEntry b)
    {
        if (a.TakenAt is null != b.TakenAt is null)
        {
            return a.TakenAt is null ? 1 : -1;
        }

        var byTime = string.CompareOrdinal(b.TakenAt, a.TakenAt);
        return byTime != 0 ? byTime : b.PhotoId.CompareTo(a.PhotoId);
    }

    /// <summary>The capture day as yyyymmdd (20240731) from "2024-07-31T...", 0 when unknown: filters compare integers.</summary>
    public static int DayNumber(string? takenAt) =>
        takenAt is { Length: >= 10 } && takenAt[4] == '-' && takenAt[7] == '-'
        && int.TryParse(takenAt.AsSpan(0, 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var year)
        && int.TryParse(takenAt.AsSpan(5, 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var month)
        && int.TryParse(takenAt.AsSpan(8, 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var day)
            ? (year * 10000) + (month * 100) + day
            : 0;

    /// <summary>How a camera reads to a person: the model, with the make in front when the model does not say it.</summary>
    public static string? CameraName(string? make, string? model)
    {
        make = make?.Trim();
        model = model?.Trim();
        if (string.IsNullOrEmpty(model))
        {
            return string.IsNullOrEmpty(make) ? null : make;
        }

        return string.IsNullOrEmpty(make) || model.StartsWith(make, StringComparison.OrdinalIgnoreCase) ? model : $"{make} {model}";
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _watcher?.Dispose();
            _watcher = null;
        }
    }
}

/// <param name="TakenAt">The camera's local time as stored (ISO-8601 text), null when the photo does not say.</param>
/// <param name="Camera">Index into <see cref="TimelineSnapshot.Cameras"/>, -1 when unknown.</param>
/// <param name="Day">The capture day as yyyymmdd, 0 when unknown.</param>
public readonly record struct TimelineEntry(long PhotoId, string? TakenAt, int Camera, int Day);

/// <param name="Entries">Newest capture first.</param>
public sealed record TimelineSnapshot(TimelineEntry[] Entries, string[] Cameras, DateTimeOffset BuiltAt)
{
    private readonly Lazy<Dictionary<long, int>> _positions = new(() =>
        Entries.Select((e, i) => (e.PhotoId, i)).ToDictionary(p => p.PhotoId, p => p.i));

    /// <summary>The entry of a photo, or null when it has no file (any more).</summary>
    public TimelineEntry? Find(long photoId) =>
        _positions.Value.TryGetValue(photoId, out var i) ? Entries[i] : null;
}
