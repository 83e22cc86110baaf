using Microsoft.Data.Sqlite;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Vlm.Stages;

/// <summary>Near-duplicates cost no model call: a cluster member inherits its representative's descriptions.</summary>
public sealed class NearDuplicateInheritanceTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task AMirroredCopyInheritsItsRepresentativesDescriptionsWithoutAModelCall()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "20");
        await using var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(server.BaseUri, server.BaseUri));
        _library.Drop(Corpus.File("near-dup/ukbench/base/ukbench00120.jpg"), "scene.jpg");
        _library.Drop(Corpus.File("near-dup/ukbench/variants/ukbench00120_hflip.jpg"), "scene mirrored.jpg");

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results") == 4,
            "quick and deep rows for both photos", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));

        var rows = _library.Query<(long PhotoId, string Tier, long Source, double? Similarity)>(
            "SELECT photo_id, tier, source_photo_id, similarity FROM vlm_results ORDER BY photo_id, tier");
        var representative = _library.Scalar<long>("SELECT representative_photo_id FROM clusters");
        var member = rows.Select(r => r.PhotoId).Distinct().Single(id => id != representative);
        Assert.All(rows.Where(r => r.PhotoId == representative), r => Assert.Equal((representative, (double?)null), (r.Source, r.Similarity)));
        Assert.All(rows.Where(r => r.PhotoId == member), r =>
        {
            Assert.Equal(representative, r.Source);
            Assert.InRange(r.Similarity!.Value, 0.8, 1.0);
        });

        // One photo call per tier: the member cost none.
        var stats = await server.StatsAsync();
        Assert.Equal(2, stats["imageTokens"]!.AsArray().Count(t => (int)t! > 0));

        // Inherited rows are queryable like own ones, and told apart by source_photo_id.
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM vlm_search WHERE photo_id = @member", new { member }));
        Assert.Equal(
            _library.Scalar<long>("SELECT count(*) FROM vlm_entities WHERE photo_id = @representative", new { representative }),
            _library.Scalar<long>("SELECT count(*) FROM vlm_entities WHERE photo_id = @member", new { member }));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM vlm_costs")); // own results only
        StageSettings.AssertNothingLostNoDuplicates(_library);

        // Promoted to its own analysis: the member is described by its own model calls, nothing else changes.
        var (exit, output) = await DaemonProcess.RunVerbAsync(
            TimeSpan.FromSeconds(60), "reprocess", "--photo", member.ToString(System.Globalization.CultureInfo.InvariantCulture), "--own", "--db", _library.DatabasePath);
        Assert.True(exit == 0, output);
        await Eventually.AssertAsync(
            () => _library.CountOrZero($"SELECT count(*) FROM vlm_results WHERE photo_id = {member} AND source_photo_id = photo_id") == 2,
            "the promoted photo's own quick and deep results", TimeSpan.FromSeconds(90), () => StageSettings.Dump(_library));
        Assert.Equal(4, (await server.StatsAsync())["imageTokens"]!.AsArray().Count(t => (int)t! > 0));
        Assert.Equal(4, _library.Scalar<long>("SELECT count(*) FROM vlm_results"));
        StageSettings.AssertNothingLostNoDuplicates(_library);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _library.Dispose();
    }
}
