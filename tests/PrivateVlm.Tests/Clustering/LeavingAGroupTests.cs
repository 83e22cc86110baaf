using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Ingest;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Clustering;

/// <summary>
/// A photo assigned again leaves its group first, on a real SQLite library migrated as the daemon does. Leaving touches
/// only the group left; a representative takes its group along (its id is unique in clusters, so it could not start
/// another while the old one stood) and the other members are placed again by the rule. The photos carry no capture
/// time, so the look-alike limit (8 bits) decides.
/// </summary>
public sealed class LeavingAGroupTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly ManualClock _clock = new();
    private readonly LibraryDatabase _database;
    private readonly ClusterMembership _membership;
    private readonly Random _random = new(6);

    public LeavingAGroupTests()
    {
        _database = MigratedDatabase.Create(_library.DatabasePath, TimeSpan.FromSeconds(5), _clock);
        _membership = new ClusterMembership(_database, Options.Create(new ClusteringOptions()), _clock);
    }

    [Fact]
    public async Task A_representative_assigned_again_takes_its_group_along_and_its_members_rejoin_it()
    {
        var scene = Hash();
        var (a, b, c) = (await PhotoAsync("a"), await PhotoAsync("b"), await PhotoAsync("c"));
        await AssignAsync(a, scene);
        await AssignAsync(b, scene ^ 0b1);
        await AssignAsync(c, scene ^ 0b110);

        // The job ran again (a lease that expired mid-commit, a hash recomputed): the same pixels, the same answer.
        await AssignAsync(a, scene);

        Assert.Equal([a], _library.Query<long>("SELECT representative_photo_id FROM clusters"));
        Assert.Equal([a, b, c], GroupOf(a));
        Assert.Equal(
            [(a, "reassigned"), (b, "its representative left (reassigned)"), (c, "its representative left (reassigned)")],
            _library.Query<(long, string)>("SELECT photo_id, why FROM cluster_history ORDER BY photo_id"));
        AssertConsistent();
    }

    [Fact]
    public async Task A_representative_now_like_another_group_joins_it_and_its_former_members_regroup_among_themselves()
    {
        var (scene, other) = (Hash(), Hash());
        var (a, b, c, d) = (await PhotoAsync("a"), await PhotoAsync("b"), await PhotoAsync("c"), await PhotoAsync("d"));
        await AssignAsync(d, other);
        await AssignAsync(a, scene);
        await AssignAsync(b, scene ^ 0b1);
        await AssignAsync(c, scene ^ 0b110);

        await AssignAsync(a, other ^ 0b1000);

        Assert.Equal([a, d], GroupOf(d));
        Assert.Equal([b, c], GroupOf(b));
        Assert.Equal([b, d], _library.Query<long>("SELECT representative_photo_id FROM clusters ORDER BY 1"));
        AssertConsistent();
    }

    [Fact]
    public async Task A_member_moving_to_another_group_leaves_its_old_group_standing_and_an_emptied_group_goes()
    {
        var (scene, other) = (Hash(), Hash());
        var (a, b, d) = (await PhotoAsync("a"), await PhotoAsync("b"), await PhotoAsync("d"));
        await AssignAsync(a, scene);
        await AssignAsync(b, scene ^ 0b1);
        await AssignAsync(d, other);

        await AssignAsync(b, other ^ 0b1);
        Assert.Equal([a], GroupOf(a));
        Assert.Equal([b, d], GroupOf(d));

        // a, alone, now looks like d: it joins d's group and its own, emptied, goes.
        await AssignAsync(a, other ^ 0b10);
        Assert.Equal([d], _library.Query<long>("SELECT representative_photo_id FROM clusters"));
        Assert.Equal([a, b, d], GroupOf(d));
        AssertConsistent();
    }

    /// <summary>Every hashed photo is in exactly one group, and every group holds its representative.</summary>
    private void AssertConsistent()
    {
        Assert.Equal(0L, _library.Scalar<long>(
            "SELECT count(*) FROM photo_hashes h WHERE NOT EXISTS (SELECT 1 FROM cluster_members m WHERE m.photo_id = h.photo_id)"));
        Assert.Equal(0L, _library.Scalar<long>(
            """
            SELECT count(*) FROM clusters c
            WHERE NOT EXISTS (SELECT 1 FROM cluster_members m WHERE m.cluster_id = c.id AND m.photo_id = c.representative_photo_id)
            """));
    }

    private List<long> GroupOf(long photoId) =>
        _library.Query<long>(
            "SELECT photo_id FROM cluster_members WHERE cluster_id = (SELECT cluster_id FROM cluster_members WHERE photo_id = @photoId) ORDER BY photo_id",
            new { photoId });

    private Task<long> PhotoAsync(string name) =>
        _database.WriteAsync(
            (connection, transaction) => PhotoFileRecords.UpsertPhoto(connection, transaction, name, 1, "2026-11-21T12:00:00.000Z").PhotoId,
            CancellationToken.None);

    /// <summary>What the clustering stage commits for a photo: its hashes, then its group.</summary>
    private Task AssignAsync(long photoId, ulong upright)
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        var hashes = new PhotoHashes([upright, .. Hashes(7)], Hashes(8), Hashes(TiltedCopyHash.TrialDegrees.Length));
        return _database.WriteAsync((connection, transaction) =>
        {
            var now = _clock.GetUtcNow();
            ClusterTables.SaveHashes(connection, transaction, photoId, hashes, now);
            _membership.Assign(connection, transaction, photoId, now);
        }, CancellationToken.None);
    }

    // Random 64-bit hashes are about 32 bits apart: unrelated to each other at any limit used here.
    private ulong Hash() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next(2) << 63);

    private ulong[] Hashes(int count) => Enumerable.Range(0, count).Select(_ => Hash()).ToArray();

    public void Dispose() => _library.Dispose();
}
