using System.Numerics.Tensors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Embeddings.Storage;
using PrivateVlm.Imaging;
using PrivateVlm.Storage;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Embeddings;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Clustering;

/// <summary>
/// The CLIP cosine as a grouping signal, on potato burst frames whose hashes are too far apart to group (a burst whose
/// subject moved), stamped by exiftool as taken seconds apart by one camera. The tiny generated CLIP model's cosines
/// mean nothing, so the first test takes whatever cosine the real embedding path stored and checks the decision flips
/// exactly at it; the second stores chosen embeddings through the L1 storage code and applies the default threshold.
/// </summary>
[Collection("Clustering")]
public sealed class ClipCosineGroupingTests : IDisposable
{
    private static readonly DateTime Taken = new(2018, 12, 11, 16, 28, 0);

    private readonly TempLibrary _library = new();
    private readonly TempFolder _models = new();

    [CorpusFact]
    public async Task With_a_CLIP_model_grouping_waits_for_L1_and_the_stored_cosine_decides_within_the_time_gap()
    {
        var frames = await HashDistantFramesAsync(3);
        // a and b: 30 seconds apart; c: three hours later.
        using var stamped = await StampedFrames.CreateAsync(frames, [Taken, Taken.AddSeconds(30), Taken.AddHours(3)]);
        var model = TinyClipModel.Write(Path.Combine(_models.Path, "Tiny-CLIP"));
        var settings = new Dictionary<string, string?>
        {
            ["Embeddings:ModelPath"] = model,
            // Every cosine passes: what is tested is that a stored cosine is used, where, and recorded.
            ["Clustering:MinBurstCosine"] = "-1",
        };
        await using (await InProcessDaemon.StartAsync(_library, settings))
        {
            foreach (var file in stamped.Files)
            {
                _library.Drop(file);
            }

            await WaitForClusteringAsync(3);
        }

        // The clustering job of each photo was queued only once its embedding was done.
        Assert.Equal(3, _library.Scalar<long>(
            """
            SELECT count(*) FROM jobs c JOIN jobs e ON e.photo_id = c.photo_id AND e.stage = 'embedding' AND e.state = 'done'
            WHERE c.stage = 'clustering' AND c.enqueued_at >= e.finished_at
            """));
        var (a, b, c) = (PhotoOf(stamped.Files[0]), PhotoOf(stamped.Files[1]), PhotoOf(stamped.Files[2]));
        var cosine = StoredCosine(a, b);
        var member = _library.Query<(long PhotoId, string Reason, double? Cosine)>(
            "SELECT m.photo_id, m.reason, m.cosine FROM cluster_members m JOIN clusters k ON k.id = m.cluster_id WHERE k.representative_photo_id <> m.photo_id").Single();
        Assert.Contains(member.PhotoId, new[] { a, b });
        Assert.Equal(GroupingRule.ClipBurst, member.Reason);
        Assert.NotNull(member.Cosine);
        Assert.Equal(cosine, member.Cosine!.Value, 1e-5);
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM clusters"));
        Assert.Equal(c, _library.Scalar<long>("SELECT representative_photo_id FROM clusters c JOIN cluster_members m ON m.cluster_id = c.id GROUP BY c.id HAVING count(*) = 1"));

        // The decision flips exactly at the stored cosine.
        Assert.Equal(3, await RegroupAsync(new ClusteringOptions { MinBurstCosine = cosine + 1e-4 }));
        Assert.Equal(2, await RegroupAsync(new ClusteringOptions { MinBurstCosine = cosine - 1e-4 }));
        Assert.Equal(GroupingRule.ClipBurst, _library.Scalar<string>("SELECT reason FROM cluster_members WHERE reason <> 'first of its kind'"));
    }

    [CorpusFact]
    public async Task Embeddings_at_the_default_threshold_group_a_burst_but_never_across_hours()
    {
        var frames = await HashDistantFramesAsync(4);
        // a, b, c: 30 seconds apart; d: three hours after c.
        using var stamped = await StampedFrames.CreateAsync(frames, [Taken, Taken.AddSeconds(30), Taken.AddSeconds(60), Taken.AddHours(3)]);
        await using (await InProcessDaemon.StartAsync(_library))
        {
            foreach (var file in stamped.Files)
            {
                _library.Drop(file);
            }

            await WaitForClusteringAsync(4);
        }

        // No CLIP model: the hashes alone kept all four apart.
        Assert.Equal(4, _library.Scalar<long>("SELECT count(*) FROM clusters"));
        var ids = stamped.Files.Select(PhotoOf).ToList();
        // Embeddings as L1 stores them: b is 0.99 like a (a burst whose subject moved), c 0.5 like a (another
        // subject), d identical to a but hours later.
        var e1 = Basis(0);
        var vectors = new[] { e1, Blend(e1, 0.99f, Basis(1)), Blend(e1, 0.5f, Basis(2)), e1 };
        var database = Database();
        await database.WriteAsync((connection, transaction) =>
        {
            for (var i = 0; i < ids.Count; i++)
            {
                EmbeddingTables.SavePhoto(connection, transaction, ids[i], "ViT-B-32__openai", vectors[i], "everyday.v1", [], DateTimeOffset.UtcNow);
            }
        }, CancellationToken.None);

        Assert.Equal(3, await RegroupAsync(new ClusteringOptions()));
        var rows = _library.Query<(long PhotoId, long Cluster, string Reason, double? Cosine)>("SELECT photo_id, cluster_id, reason, cosine FROM cluster_members")
            .ToDictionary(r => r.PhotoId);
        Assert.Equal(rows[ids[0]].Cluster, rows[ids[1]].Cluster);
        Assert.Equal(GroupingRule.ClipBurst, rows[ids[1]].Reason);
        Assert.Equal(0.99, rows[ids[1]].Cosine!.Value, 1e-5);
        Assert.NotEqual(rows[ids[0]].Cluster, rows[ids[2]].Cluster);
        Assert.NotEqual(rows[ids[0]].Cluster, rows[ids[3]].Cluster);
    }

    /// <summary>
    /// The first <paramref name="count"/> burst frames that are pairwise too far apart to group by hash, with 4 bits of
    /// margin for the JPEG re-encoding (pHash over 18 against the burst limit 14, turned squares over 12 against 8).
    /// </summary>
    private static async Task<List<string>> HashDistantFramesAsync(int count)
    {
        var imaging = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
        var chosen = new List<(string File, PhotoHashes Hashes)>();
        foreach (var file in Directory.GetFiles(Corpus.File("near-dup/burst")).Order(StringComparer.Ordinal))
        {
            var hashes = await PhotoHashes.OfPhotoAsync(imaging, file, CancellationToken.None);
            if (chosen.All(c => Math.Min(c.Hashes.DctDistance(hashes), hashes.DctDistance(c.Hashes)) > 18
                                && Math.Min(c.Hashes.TiltedDistance(hashes), hashes.TiltedDistance(c.Hashes)) > 12))
            {
                chosen.Add((file, hashes));
                if (chosen.Count == count)
                {
                    return chosen.Select(c => c.File).ToList();
                }
            }
        }

        throw new InvalidOperationException($"the burst has no {count} frames that far apart");
    }

    private async Task WaitForClusteringAsync(int photos) =>
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == photos,
            $"{photos} photos grouped",
            TimeSpan.FromSeconds(60),
            () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || coalesce(last_error, '') FROM jobs WHERE state <> 'done'")));

    private long PhotoOf(string stampedFile) =>
        _library.Scalar<long>("SELECT photo_id FROM files WHERE path = @path", new { path = Path.Combine(_library.Inbox, Path.GetFileName(stampedFile)) });

    private double StoredCosine(long a, long b)
    {
        var vectors = _library.Query<byte[]>("SELECT vector FROM photo_embeddings WHERE photo_id IN (@a, @b) ORDER BY photo_id", new { a, b });
        Assert.Equal(2, vectors.Count);
        return TensorPrimitives.CosineSimilarity(EmbeddingBlob.ToVector(vectors[0]), EmbeddingBlob.ToVector(vectors[1]));
    }

    /// <summary>`clusters --regroup` with other thresholds, through the grouping API on the library's database.</summary>
    private async Task<int> RegroupAsync(ClusteringOptions options)
    {
        var groups = await new ClusterMembership(Database(), Options.Create(options), TimeProvider.System).RegroupAsync(CancellationToken.None);
        SqliteConnection.ClearAllPools();
        Assert.Equal(groups, _library.Scalar<long>("SELECT count(*) FROM clusters"));
        return groups;
    }

    private LibraryDatabase Database() =>
        new(_library.DatabasePath, TimeSpan.FromSeconds(10), NullLogger<LibraryDatabase>.Instance, TimeProvider.System);

    private static float[] Basis(int axis)
    {
        var vector = new float[512];
        vector[axis] = 1;
        return vector;
    }

    /// <summary>A unit vector whose cosine with <paramref name="unit"/> is <paramref name="cosine"/> (the rest along an
    /// orthogonal unit vector).</summary>
    private static float[] Blend(float[] unit, float cosine, float[] orthogonal) =>
        unit.Zip(orthogonal, (u, o) => (cosine * u) + (MathF.Sqrt(1 - (cosine * cosine)) * o)).ToArray();

    public void Dispose()
    {
        _library.Dispose();
        _models.Dispose();
    }
}
