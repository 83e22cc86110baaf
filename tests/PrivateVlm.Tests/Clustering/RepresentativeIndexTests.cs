using PrivateVlm.Clustering;

namespace PrivateVlm.Tests.Clustering;

/// <summary>The contiguous index must choose exactly what applying the rule to every representative chooses.</summary>
public sealed class RepresentativeIndexTests
{
    private static readonly DateTime Start = new(2026, 1, 1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_index_finds_what_a_brute_force_scan_of_the_rule_finds(bool withCosines)
    {
        var random = new Random(7);
        var rule = new GroupingRule(new ClusteringOptions());
        var representatives = Enumerable.Range(1, 2000).Select(i => Make(random, i)).ToList();
        var index = new RepresentativeIndex();
        index.Load(representatives);
        // A few representatives leave (the database said they are no longer one); the index must forget them.
        foreach (var gone in representatives.Where(r => r.PhotoId % 97 == 0).ToList())
        {
            index.Remove(gone.PhotoId);
            representatives.Remove(gone);
        }

        var byId = representatives.ToDictionary(r => r.PhotoId);
        var asked = 0;
        var shouldAsk = 0;
        for (var i = 0; i < 300; i++)
        {
            var near = representatives[random.Next(representatives.Count)];
            var photo = Make(random, 10_000 + i, near) with
            {
                Embedding = withCosines ? new PhotoEmbedding("model", []) : null,
            };
            var expected = representatives
                .Select(r => rule.Judge(photo, r, withCosines && rule.CosineCanDecide(photo.TakenAt, r.TakenAt, CamerasDiffer(photo, r)) ? Cosine(photo, r.PhotoId) : null))
                .Where(m => m is not null)
                .OrderBy(m => m!.Distance).ThenBy(m => m!.RepresentativePhotoId).FirstOrDefault();

            var found = index.Find(photo, rule, ids =>
            {
                asked += ids.Count;
                Assert.All(ids.Select(id => byId[id]), r => Assert.True(rule.CosineCanDecide(photo.TakenAt, r.TakenAt, CamerasDiffer(photo, r))));
                return ids.Select(id => (float?)Cosine(photo, id)).ToArray();
            });

            Assert.Equal(expected, found);
            shouldAsk += withCosines ? representatives.Count(r => rule.CosineCanDecide(photo.TakenAt, r.TakenAt, CamerasDiffer(photo, r))) : 0;
        }

        // The cosine is looked up exactly where it can decide (same camera, within the time gap), each once.
        Assert.Equal(shouldAsk, asked);
        Assert.Equal(withCosines, asked > 0);
    }

    [Fact]
    public void Ties_go_to_the_oldest_representative_and_a_photo_never_matches_itself()
    {
        var rule = new GroupingRule(new ClusteringOptions());
        var hashes = new ulong[] { 11, 12, 13, 14, 15, 16, 17, 18 };
        var index = new RepresentativeIndex();
        index.Load([new ClusterCandidate(9, hashes, null, null), new ClusterCandidate(4, hashes, null, null), new ClusterCandidate(6, hashes, null, null)]);

        Assert.Equal(4, index.Find(new ClusterCandidate(20, hashes, null, null), rule)?.RepresentativePhotoId);
        Assert.Equal(6, index.Find(new ClusterCandidate(4, hashes, null, null), rule)?.RepresentativePhotoId);
        index.Remove(4);
        index.Remove(6);
        Assert.Equal(9, index.Find(new ClusterCandidate(20, hashes, null, null), rule)?.RepresentativePhotoId);
        Assert.Equal(1, index.Count);
    }

    private static bool CamerasDiffer(ClusterCandidate a, ClusterCandidate b) =>
        a.Camera is not null && b.Camera is not null && a.Camera != b.Camera;

    /// <summary>A stand-in cosine that is a fixed function of the pair (the index only passes it on to the rule).</summary>
    private static float Cosine(ClusterCandidate photo, long representative) =>
        (float)((((photo.PhotoId * 31) + representative) * 2654435761L % 1000) / 1000.0);

    private static ClusterCandidate Make(Random random, long id, ClusterCandidate? near = null)
    {
        var hashes = Enumerable.Range(0, 8).Select(_ => (ulong)random.NextInt64()).ToArray();
        var trials = Enumerable.Range(0, 13).Select(_ => (ulong)random.NextInt64()).ToArray();
        if (near is not null)
        {
            // Close to the representative by pHash in one orientation, or by a turned square, or not at all.
            switch (random.Next(3))
            {
                case 0:
                    hashes[random.Next(8)] = Flip(random, near.Dct, random.Next(16));
                    break;
                case 1 when near.TiltedTrials is not null:
                    trials[random.Next(13)] = Flip(random, near.TiltedTrials[0], random.Next(12));
                    break;
            }
        }

        return new ClusterCandidate(
            id,
            hashes,
            random.Next(4) == 0 ? null : Start.AddMinutes(random.Next(120)),
            random.Next(4) == 0 ? null : $"camera {random.Next(2)}")
        {
            TiltedTrials = random.Next(10) == 0 ? null : trials,
        };
    }

    private static ulong Flip(Random random, ulong hash, int bits)
    {
        for (var b = 0; b < bits; b++)
        {
            hash ^= 1UL << random.Next(64);
        }

        return hash;
    }
}
