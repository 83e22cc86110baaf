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
    private readonly LibraryDatabase database;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private SqliteConnection? watcher;
    private TimelineSnapshot? current;
    private long builtFromVersion = -1;
    private DateTimeOffset lastCheck;
    private Task? rebuilding;
    private TimeSpan lastBuild;

    public PhotoTimeline(LibraryDatabase database, TimeProvider time, TimeSpan? checkInterval = null)
    {
        this.database = database;
        this.time = time;
        CheckInterval = checkInterval ?? TimeSpan.FromSeconds(1);
    }

    public TimeSpan CheckInterval { get; }

    /// <summary>The latest complete timeline; the first call builds it, later calls may start a rebuild and return
    /// the previous one meanwhile.</summary>
    public TimelineSnapshot Current()
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            var interval = TimeSpan.FromTicks(Math.Max(CheckInterval.Ticks, lastBuild.Ticks * 10));
            if (current is not null && (now - lastCheck < interval || rebuilding is { IsCompleted: false }))
            {
                return current;
            }

            lastCheck = now;
            var version = DataVersion();
            if (current is not null && version == builtFromVersion)
            {
                return current;
            }

            if (current is null)
            {
                current = Build();
                builtFromVersion = version;
                return current;
            }

            rebuilding = Task.Run(() =>
            {
                var next = Build();
                lock (gate)
                {
                    current = next;
                    builtFromVersion = version;
                }
            });
            return current;
        }
    }

    private long DataVersion()
    {
        try
        {
            // data_version changes when another connection commits; it needs one connection kept for the comparison.
            watcher ??= database.OpenReadOnly();
            return watcher.ExecuteScalar<long>("PRAGMA data_version");
        }
        catch (SqliteException)
        {
            watcher?.Dispose();
            watcher = null;
            return -2; // unknown: rebuild
        }
    }

    private TimelineSnapshot Build()
    {
        var started = time.GetTimestamp();
        using var connection = database.OpenReadOnly();
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
        lastBuild = time.GetElapsedTime(started);
        return new TimelineSnapshot(sorted, cameras.OrderBy(c => c.Value).Select(c => c.Key).ToArray(), time.GetUtcNow());
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
        lock (gate)
        {
            watcher?.Dispose();
            watcher = null;
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
    private readonly Lazy<Dictionary<long, int>> positions = new(() =>
        Entries.Select((e, i) => (e.PhotoId, i)).ToDictionary(p => p.PhotoId, p => p.i));

    /// <summary>The entry of a photo, or null when it has no file (any more).</summary>
    public TimelineEntry? Find(long photoId) =>
        positions.Value.TryGetValue(photoId, out var i) ? Entries[i] : null;
}
