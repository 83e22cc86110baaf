using Microsoft.Data.Sqlite;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Vlm.Stages;

/// <summary>Near-duplicates cost no model call: a cluster member inherits its representative's descriptions.</summary>
public sealed class NearDuplicateInheritanceTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task A_mirrored_copy_inherits_its_representatives_descriptions_without_a_model_call()
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
        Assert.Equal((2L, 2L), _library.Query<(long, long)>("SELECT size, calls_saved FROM cluster_overview").Single()); // one quick, one deep
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

    [CorpusFact]
    public async Task A_member_follows_its_representative_when_the_representative_is_described_again()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "20");
        var tiers = StageSettings.Tiers(server.BaseUri, server.BaseUri);
        long representative, member;
        string before;
        await using (var daemon = await InProcessDaemon.StartAsync(_library, tiers))
        {
            _library.Drop(Corpus.File("near-dup/ukbench/base/ukbench00120.jpg"), "scene.jpg");
            _library.Drop(Corpus.File("near-dup/ukbench/variants/ukbench00120_hflip.jpg"), "scene mirrored.jpg");
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results") == 4,
                "quick and deep rows for both photos", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
            representative = _library.Scalar<long>("SELECT representative_photo_id FROM clusters");
            member = _library.Scalar<long>("SELECT photo_id FROM cluster_members WHERE photo_id <> @representative", new { representative });
            before = QuickRow(representative).CreatedAt;
        }

        // The representative alone is described again (as after a prompt fix for it, or `reprocess --photo`).
        var (exit, output) = await DaemonProcess.RunVerbAsync(
            TimeSpan.FromSeconds(60), "reprocess", "--photo", Id(representative), "--tier", "quick", "--db", _library.DatabasePath);
        Assert.True(exit == 0, output);
        await using (var restarted = await InProcessDaemon.StartAsync(_library, tiers))
        {
            await Eventually.AssertAsync(() => QuickRow(representative).CreatedAt != before && JobState(representative) == "done",
                "the representative described again", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
        }

        // Its member carries the new description, copied in the same transaction, without a model call of its own.
        var fresh = QuickRow(representative);
        var copied = QuickRow(member);
        Assert.Equal((representative, fresh.Json, fresh.CreatedAt), (copied.Source, copied.Json, copied.CreatedAt));
        Assert.Equal(3, (await server.StatsAsync())["imageTokens"]!.AsArray().Count(t => (int)t! > 0));
        StageSettings.AssertNothingLostNoDuplicates(_library);
    }

    [CorpusFact]
    public async Task Regrouping_with_stricter_thresholds_gives_a_split_photo_its_own_analysis_and_loses_nothing()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "20");
        var tiers = StageSettings.Tiers(server.BaseUri, server.BaseUri);
        long member;
        await using (var daemon = await InProcessDaemon.StartAsync(_library, tiers))
        {
            _library.Drop(Corpus.File("near-dup/ukbench/base/ukbench00120.jpg"), "scene.jpg");
            _library.Drop(Corpus.File("near-dup/ukbench/variants/ukbench00120_rotation.jpg"), "scene turned.jpg");
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results") == 4,
                "quick and deep rows for both photos", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
            // Whichever of the two was grouped first is the representative (the queue takes the newest first).
            member = _library.Scalar<long>("SELECT DISTINCT photo_id FROM vlm_results WHERE source_photo_id <> photo_id");
        }

        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE photo_id = @member AND source_photo_id <> photo_id", new { member }));
        Assert.Equal(2, Calls(await server.StatsAsync()));

        // The turned copy is 2 bits from the original by its central square: a limit of 1 splits the group.
        var stricter = new Dictionary<string, string> { ["PRIVATEVLM__Clustering__MaxTiltedHashDistance"] = "1" };
        var (exit, output) = await DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(60), stricter, "clusters", "--regroup", "--db", _library.DatabasePath);
        Assert.True(exit == 0, output);
        Assert.Contains("2 inherited description(s) re-queued", output);
        // Nothing is lost meanwhile: the copied rows stay until the photo's own replace them.
        Assert.Equal(4, _library.Scalar<long>("SELECT count(*) FROM vlm_results"));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE photo_id = @member AND state = 'queued'", new { member }));

        await using (var restarted = await InProcessDaemon.StartAsync(_library, tiers))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero($"SELECT count(*) FROM vlm_results WHERE photo_id = {member} AND source_photo_id = photo_id") == 2,
                "the split photo's own quick and deep results", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
        }

        Assert.Equal(4, Calls(await server.StatsAsync()));
        StageSettings.AssertNothingLostNoDuplicates(_library);
        StageSettings.AssertNothingLostNoDuplicates(_library, "deep");

        // Back to the default thresholds: the two group again; both keep their own descriptions and cost no call.
        (exit, output) = await DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(60), "clusters", "--regroup", "--db", _library.DatabasePath);
        Assert.True(exit == 0, output);
        Assert.Contains("every inherited description still comes from its photo's representative", output);
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM cluster_overview WHERE size = 2"));
        Assert.Equal(4, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE source_photo_id = photo_id"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state <> 'done'"));
    }

    [CorpusFact]
    public async Task A_representative_deleted_before_it_was_described_hands_its_group_to_the_photos_left()
    {
        // Grouped before any VLM tier is set up, then the representative is culled (deleted): the common "import a
        // burst, delete the bad frames" before the slow tiers reached it.
        long representative;
        await using (var daemon = await InProcessDaemon.StartAsync(_library))
        {
            _library.Drop(Corpus.File("near-dup/ukbench/base/ukbench00120.jpg"), "frame 1.jpg");
            _library.Drop(Corpus.File("near-dup/ukbench/variants/ukbench00120_hflip.jpg"), "frame 2.jpg");
            _library.Drop(Corpus.File("near-dup/ukbench/variants/ukbench00120_resize.jpg"), "frame 3.jpg");
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM cluster_overview WHERE size = 3") == 1, "one group of three");
            representative = _library.Scalar<long>("SELECT representative_photo_id FROM clusters");
            File.Delete(_library.Scalar<string>("SELECT path FROM files WHERE photo_id = @representative", new { representative }));
            await Eventually.AssertAsync(
                () => _library.CountOrZero($"SELECT count(*) FROM files WHERE photo_id = {representative} AND status = 'deleted'") == 1, "the deletion recorded");
        }

        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "20");
        await using (var withTiers = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(server.BaseUri, server.BaseUri)))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero($"SELECT count(*) FROM vlm_results WHERE photo_id <> {representative}") == 4,
                "quick and deep rows for the two frames left", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
        }

        // One of the two was described, at each tier; the other copied it: two model calls, not four.
        var newRepresentative = _library.Scalar<long>("SELECT representative_photo_id FROM cluster_overview WHERE size = 2");
        Assert.NotEqual(representative, newRepresentative);
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE photo_id = @newRepresentative AND source_photo_id = photo_id", new { newRepresentative }));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE photo_id NOT IN (@representative, @newRepresentative) AND source_photo_id = @newRepresentative", new { representative, newRepresentative }));
        Assert.Equal(2, Calls(await server.StatsAsync()));
        Assert.Equal(2, _library.Scalar<long>("SELECT calls_saved FROM cluster_overview WHERE size = 2"));
        Assert.Equal(3, _library.Scalar<long>("SELECT count(*) FROM cluster_history WHERE why LIKE '%its file was deleted before it was described%'"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE photo_id = @representative", new { representative }));
    }

    private static int Calls(System.Text.Json.Nodes.JsonObject stats) => stats["imageTokens"]!.AsArray().Count(t => (int)t! > 0);

    private static string Id(long photoId) => photoId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private (long Source, string Json, string CreatedAt) QuickRow(long photoId) =>
        _library.Query<(long, string, string)>(
            "SELECT source_photo_id, result_json, created_at FROM vlm_results WHERE photo_id = @photoId AND tier = 'quick'", new { photoId }).Single();

    private string JobState(long photoId) =>
        _library.Scalar<string>("SELECT state FROM jobs WHERE photo_id = @photoId AND stage = 'quick'", new { photoId });

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _library.Dispose();
    }
}
