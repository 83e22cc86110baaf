using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Imaging;

namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>
/// With the default thresholds: model calls per photo on the potato burst (frames given capture times one second
/// apart from one camera, so every representative gets one call), false merges among the ten distinct UKBench
/// scenes plus their readable variants (no capture time: the strict look-alike limit applies), and the cost of
/// finding the group of one new photo among 100,000 representatives (random hashes, times within a year).
/// </summary>
public sealed class ClusteringBenchmark : IFigureBenchmark
{
    public string Name => "clustering";

    public string Description => "near-duplicate grouping: calls/photo on bursts, UKBench false merges, assignment cost at 100,000 photos";

    public async Task<int> RunAsync(string[] args)
    {
        var corpus = NearDupCorpus.Find();
        if (corpus is null)
        {
            Console.WriteLine("../shared/corpus/near-dup not found: cannot run");
            return 1;
        }

        var options = new ClusteringOptions();
        var rule = new GroupingRule(options);
        Console.WriteLine($"# thresholds: MaxHashDistance={options.MaxHashDistance} MaxBurstHashDistance={options.MaxBurstHashDistance} MaxTimeGap={options.MaxTimeGap}");
        var preparation = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);

        var burst = Directory.GetFiles(Path.Combine(corpus, "burst")).Order(StringComparer.Ordinal).ToList();
        var start = new DateTime(2018, 12, 11, 15, 0, 0);
        var burstPhotos = new List<ClusterCandidate>();
        for (var i = 0; i < burst.Count; i++)
        {
            var hashes = PhotoHashes.Of(await preparation.GrayscaleThumbnailAsync(burst[i], 32, 32, CancellationToken.None));
            burstPhotos.Add(new ClusterCandidate(i + 1, hashes.DctByOrientation, start.AddSeconds(i), "bench camera"));
        }

        var burstGroups = Group(burstPhotos, rule);
        Console.WriteLine($"burst: {burst.Count} frames -> {burstGroups.Values.Distinct().Count()} groups = {burstGroups.Values.Distinct().Count() / (double)burst.Count:F2} model calls per photo (goal <= 0.6)");

        var ukbench = Directory.GetFiles(Path.Combine(corpus, "ukbench"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var ukPhotos = new List<(ClusterCandidate Photo, string Scene)>();
        foreach (var file in ukbench)
        {
            try
            {
                var hashes = PhotoHashes.Of(await preparation.GrayscaleThumbnailAsync(file, 32, 32, CancellationToken.None));
                ukPhotos.Add((new ClusterCandidate(ukPhotos.Count + 1, hashes.DctByOrientation, null, null), NearDupCorpus.SceneOf(file)));
            }
            catch (Pipeline.PhotoRejectedException)
            {
                Console.WriteLine($"# unreadable, not grouped: {Path.GetFileName(file)}");
            }
        }

        var ukGroups = Group(ukPhotos.Select(p => p.Photo).ToList(), rule);
        var falseMerges = 0;
        for (var i = 0; i < ukPhotos.Count; i++)
        {
            for (var j = i + 1; j < ukPhotos.Count; j++)
            {
                if (ukPhotos[i].Scene != ukPhotos[j].Scene && ukGroups[ukPhotos[i].Photo.PhotoId] == ukGroups[ukPhotos[j].Photo.PhotoId])
                {
                    falseMerges++;
                }
            }
        }

        Console.WriteLine($"ukbench: {ukPhotos.Count} photos of {ukPhotos.Select(p => p.Scene).Distinct().Count()} scenes -> {ukGroups.Values.Distinct().Count()} groups, false merges (pairs of different scenes in one group) = {falseMerges} (goal 0)");

        var random = new Random(20261122);
        var index = new RepresentativeIndex();
        var year = new DateTime(2026, 1, 1);
        const int Library = 100_000;
        index.Load(Enumerable.Range(1, Library).Select(id => Synthetic(id, random, year)));
        var samples = new List<double>();
        for (var i = 0; i < 300; i++)
        {
            var photo = Synthetic(Library + i + 1, random, year);
            var clock = Stopwatch.StartNew();
            index.Find(photo, rule);
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"assign one photo against {Library:N0} representatives (in-memory index lookup, 8 orientations): {Percentiles.Describe(samples.Skip(20).ToList())} (goal <= 5 ms)");
        return 0;
    }

    private static ClusterCandidate Synthetic(long id, Random random, DateTime year)
    {
        var hashes = new ulong[8];
        for (var o = 0; o < 8; o++)
        {
            hashes[o] = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
        }

        return new ClusterCandidate(id, hashes, year.AddSeconds(random.Next(365 * 24 * 3600)), random.Next(4) == 0 ? null : $"camera {random.Next(5)}");
    }

    private static Dictionary<long, long> Group(IReadOnlyList<ClusterCandidate> photos, GroupingRule rule)
    {
        var index = new RepresentativeIndex();
        index.Load([]);
        var groupOf = new Dictionary<long, long>();
        foreach (var photo in photos)
        {
            var match = index.Find(photo, rule);
            if (match is null)
            {
                index.Add(photo);
                groupOf[photo.PhotoId] = photo.PhotoId;
            }
            else
            {
                groupOf[photo.PhotoId] = match.RepresentativePhotoId;
            }
        }

        return groupOf;
    }
}
