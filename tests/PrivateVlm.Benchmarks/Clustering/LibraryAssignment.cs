using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using PrivateVlm.Benchmarks.Support;
using PrivateVlm.Clustering;
using PrivateVlm.Ingest;
using PrivateVlm.Metadata;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>
/// What assigning one new photo costs the daemon: the clustering stage's write transaction (save the photo's hashes,
/// ClusterMembership.Assign with its leave, index lookup, database re-check, new group or membership row, commit,
/// through LibraryDatabase.WriteAsync like the job queue) on a library of 100,000 photos in a real SQLite file under
/// /tmp, migrated and filled by the product's own table code. In the same run, alternating photo by photo, the same
/// transaction plus the sweep of every cluster the old leave ran (<see cref="OldLeaveReference"/>). The job queue's
/// own statements in that transaction (job done, next stages queued) are not counted: they are the queue's cost.
/// </summary>
internal static class LibraryAssignment
{
    private const string Camera = "bench";
    private static readonly DateTime Epoch = new(2023, 1, 1);

    public static async Task MeasureAsync(int library, int queries, int warmUp)
    {
        var folder = Path.Combine(Path.GetTempPath(), "privatevlm-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var database = MigratedDatabase.Create(Path.Combine(folder, "library.db"), TimeSpan.FromSeconds(30), TimeProvider.System);

            var random = new Random(11);
            var clock = Stopwatch.StartNew();
            var representatives = await FillAsync(database, random, library);
            Console.WriteLine($"# built a {library:N0}-photo library ({representatives.Count:N0} groups; {library - representatives.Count:N0} photos are members that " +
                              $"inherit a representative's analysis) in {clock.Elapsed.TotalSeconds:F0} s ({new FileInfo(database.FilePath).Length / 1e6:F0} MB)");

            // The photos to assign were ingested and read by L0 before: only their clustering transaction is timed.
            var arriving = Enumerable.Range(0, 2 * (queries + warmUp)).Select(_ => Arriving(random, representatives)).ToList();
            var ids = await database.WriteAsync(
                (c, t) => arriving.Select(a => AddPhoto(c, t, a.TakenAt, a.Camera)).ToList(), CancellationToken.None);

            var membership = new ClusterMembership(database, Options.Create(new ClusteringOptions()), TimeProvider.System);
            var (current, old) = (new List<double>(), new List<double>());
            var (currentWaiting, oldWaiting) = (new List<double>(), new List<double>());
            var process = Process.GetCurrentProcess();
            var (currentCpu, oldCpu) = (TimeSpan.Zero, TimeSpan.Zero);
            for (var round = 0; round < queries + warmUp; round++)
            {
                // Alternate which one runs first so neither always follows the other's commit.
                foreach (var sweep in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var index = (2 * round) + (sweep ? 1 : 0);
                    var (photoId, hashes) = (ids[index], arriving[index].Hashes);
                    var cpu = Cpu(process);
                    var (thread, waited) = (Environment.CurrentManagedThreadId, RunQueueWait.OfThisThread());
                    var wall = Stopwatch.StartNew();
                    await database.WriteAsync((c, t) =>
                    {
                        var now = DateTimeOffset.UtcNow;
                        ClusterTables.SaveHashes(c, t, photoId, hashes, now);
                        membership.Assign(c, t, photoId, now);
                        if (sweep)
                        {
                            OldLeaveReference.SweepEmptyClusters(c, t);
                        }
                    }, CancellationToken.None);
                    var elapsed = wall.Elapsed.TotalMilliseconds;
                    // Only when the whole write ran on this thread (it does unless the database was locked).
                    var waiting = thread == Environment.CurrentManagedThreadId ? RunQueueWait.OfThisThread() - waited : null;
                    if (round >= warmUp)
                    {
                        (sweep ? old : current).Add(elapsed);
                        if (waiting is { } w)
                        {
                            (sweep ? oldWaiting : currentWaiting).Add(w.TotalMilliseconds);
                        }

                        if (sweep)
                        {
                            oldCpu += Cpu(process) - cpu;
                        }
                        else
                        {
                            currentCpu += Cpu(process) - cpu;
                        }
                    }
                }
            }

            var joined = arriving.Count(a => a.NearCopy);
            Console.WriteLine($"assign one photo in the clustering stage's transaction on a {library:N0}-photo SQLite library (hashes saved, leave, index, " +
                              $"re-check, insert, commit; {joined * 100 / arriving.Count}% of the photos join a group): {Percentiles.Describe(current)} mean={current.Average():F2}ms (goal p95 <= 5 ms)");
            Console.WriteLine($"  same run, with the old leave's sweep of every cluster: {Percentiles.Describe(old)} mean={old.Average():F2}ms; " +
                              $"targeted leave p50 {Percentiles.Of(old, 50) / Percentiles.Of(current, 50):F1}x, p95 {Percentiles.Of(old, 95) / Percentiles.Of(current, 95):F1}x faster");
            if (currentWaiting.Count == current.Count && oldWaiting.Count == old.Count)
            {
                var (currentFree, oldFree) = (current.Zip(currentWaiting, (a, b) => a - b).ToList(), old.Zip(oldWaiting, (a, b) => a - b).ToList());
                Console.WriteLine($"  of which waiting for a core: {Percentiles.Describe(currentWaiting)}; wall time less that wait: {Percentiles.Describe(currentFree)} " +
                                  $"mean={currentFree.Average():F2}ms, with the sweep {Percentiles.Describe(oldFree)} mean={oldFree.Average():F2}ms");
            }

            Console.WriteLine($"  mean CPU time per assignment (process): {currentCpu.TotalMilliseconds / current.Count:F2} ms, with the sweep {oldCpu.TotalMilliseconds / old.Count:F2} ms; " +
                              $"load average {LoadAverage.OneMinute()}");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>
    /// A library as a phone fills one: most photos alone, one event in seven a burst or series of 2-8 near copies
    /// (a few bits apart, seconds apart, one camera) grouped behind the first. One photo in ten has no capture time.
    /// Returns each group's representative.
    /// </summary>
    private static Task<List<Representative>> FillAsync(LibraryDatabase database, Random random, int library) =>
        database.WriteAsync((c, t) =>
        {
            var representatives = new List<Representative>();
            var now = DateTimeOffset.UtcNow;
            var photos = 0;
            while (photos < library)
            {
                var size = random.Next(7) == 0 ? Math.Min(random.Next(2, 9), library - photos) : 1;
                var taken = random.Next(10) == 0 ? (DateTime?)null : Epoch.AddSeconds(random.Next(3 * 365 * 24 * 3600));
                var camera = $"{Camera} {random.Next(5)}";
                var hashes = RandomHashes(random);
                var representative = AddPhoto(c, t, taken, camera);
                ClusterTables.SaveHashes(c, t, representative, hashes, now);
                ClusterTables.StartGroup(c, t, representative, now, "first of its kind");
                representatives.Add(new Representative(hashes.Dct, taken, camera));
                for (var i = 1; i < size; i++)
                {
                    var (copy, distance) = NearCopy(random, hashes.Dct);
                    var member = AddPhoto(c, t, taken?.AddSeconds(i), camera);
                    ClusterTables.SaveHashes(c, t, member, copy, now);
                    ClusterTables.JoinGroup(c, t, member, new ClusterMatch(representative, distance, taken is null ? GroupingRule.LookAlike : GroupingRule.Burst), now);
                }

                photos += size;
            }

            return representatives;
        }, CancellationToken.None);

    /// <summary>A new photo: three in four a new scene (it starts a group), one in four a near copy of a representative
    /// taken two seconds after it with the same camera (it joins that group).</summary>
    private static Photo Arriving(Random random, List<Representative> representatives)
    {
        if (random.Next(4) != 0)
        {
            return new Photo(RandomHashes(random), Epoch.AddSeconds(random.Next(3 * 365 * 24 * 3600)), $"{Camera} {random.Next(5)}", false);
        }

        var of = representatives[random.Next(representatives.Count)];
        return new Photo(NearCopy(random, of.Dct).Hashes, of.TakenAt?.AddSeconds(2), of.Camera, true);
    }

    private static long AddPhoto(SqliteConnection c, SqliteTransaction t, DateTime? takenAt, string camera)
    {
        var (id, _) = PhotoFileRecords.UpsertPhoto(c, t, Guid.NewGuid().ToString("N"), 3_000_000, "2026-01-01T00:00:00.000Z");
        var metadata = new PhotoMetadata
        {
            Format = "JPEG",
            TakenAtLocal = takenAt,
            TakenAtSource = takenAt is null ? null : "exif:DateTimeOriginal",
            Make = camera,
            Model = "model",
        };
        PhotoMetadataTable.Save(c, t, id, metadata, DateTimeOffset.UtcNow);
        return id;
    }

    private static PhotoHashes RandomHashes(Random random) =>
        new(RandomBits(random, 8), RandomBits(random, 8), RandomBits(random, TiltedCopyHash.TrialDegrees.Length));

    /// <summary>Hashes whose upright pHash is 1-6 bits from <paramref name="dct"/> (the rest unrelated).</summary>
    private static (PhotoHashes Hashes, int Distance) NearCopy(Random random, ulong dct)
    {
        var copy = RandomHashes(random);
        var upright = dct;
        var distance = random.Next(1, 7);
        while (PerceptualHash.Distance(upright, dct) < distance)
        {
            upright ^= 1UL << random.Next(64);
        }

        copy.DctByOrientation[0] = upright;
        return (copy, distance);
    }

    private static ulong[] RandomBits(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63)).ToArray();

    private static TimeSpan Cpu(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private sealed record Representative(ulong Dct, DateTime? TakenAt, string Camera);

    private sealed record Photo(PhotoHashes Hashes, DateTime? TakenAt, string Camera, bool NearCopy);
}
