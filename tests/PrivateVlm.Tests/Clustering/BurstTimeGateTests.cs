using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Imaging;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Clustering;

/// <summary>Real potato burst frames with controlled capture times: close in time groups, far apart never does.</summary>
[Collection("Clustering")]
public sealed class BurstTimeGateTests
{
    private static readonly GroupingRule Defaults = new(new ClusteringOptions());

    [CorpusFact]
    public async Task BurstFramesGroupWhenTakenCloseTogetherAndNotWhenFarApart()
    {
        var frames = Directory.GetFiles(Corpus.File("near-dup/burst")).Order(StringComparer.Ordinal).ToList();
        var imaging = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
        var start = new DateTime(2018, 12, 11, 15, 0, 0);
        var photos = new List<ClusterCandidate>();
        for (var i = 0; i < frames.Count; i++)
        {
            var grid = await imaging.GrayscaleThumbnailAsync(frames[i], 32, 32, CancellationToken.None);
            photos.Add(new ClusterCandidate(i + 1, PhotoHashes.Of(grid).DctByOrientation, start.AddSeconds(i), "camera"));
        }

        int Groups(IEnumerable<ClusterCandidate> burst)
        {
            var index = new RepresentativeIndex();
            index.Load([]);
            foreach (var photo in burst)
            {
                if (index.Find(photo, Defaults) is null)
                {
                    index.Add(photo);
                }
            }

            return index.Count;
        }

        var close = Groups(photos);
        Assert.True(close <= frames.Count * 0.6, $"{close} groups for {frames.Count} frames a second apart");
        // The same frames a day apart each: nothing groups on time, and the strict look-alike limit does not apply
        // because both times are known.
        Assert.Equal(frames.Count, Groups(photos.Select((p, i) => p with { TakenAt = start.AddDays(i) })));
        // Another camera's frames never join.
        Assert.Null(Defaults.Judge(photos[1] with { Camera = "other camera" }, photos[0]));
    }

    [Fact]
    public void TheIndexFindsWhatABruteForceScanOfTheRuleFinds()
    {
        var random = new Random(7);
        var rule = new GroupingRule(new ClusteringOptions());
        var start = new DateTime(2026, 1, 1);
        ClusterCandidate Make(long id, ulong? near = null)
        {
            var hashes = Enumerable.Range(0, 8).Select(_ => (ulong)random.NextInt64()).ToArray();
            if (near is { } n)
            {
                hashes[random.Next(8)] = n ^ (1UL << random.Next(64)) ^ (1UL << random.Next(64));
            }

            return new ClusterCandidate(id, hashes, random.Next(3) == 0 ? null : start.AddMinutes(random.Next(60)), random.Next(3) == 0 ? null : $"c{random.Next(2)}");
        }

        var representatives = Enumerable.Range(1, 2000).Select(i => Make(i)).ToList();
        var index = new RepresentativeIndex();
        index.Load(representatives);
        for (var i = 0; i < 300; i++)
        {
            var photo = Make(10_000 + i, representatives[random.Next(representatives.Count)].Dct);
            var expected = representatives.Select(r => rule.Judge(photo, r)).Where(m => m is not null)
                .OrderBy(m => m!.Distance).ThenBy(m => m!.RepresentativePhotoId).FirstOrDefault();
            Assert.Equal(expected, index.Find(photo, rule));
        }
    }
}
